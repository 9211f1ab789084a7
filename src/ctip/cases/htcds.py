"""Code lists of the trafficking process (HTCDS 2.0, UN Migration), with Vietnamese labels and
the extensions the region needs (decision 0031).

Each list is a ``TextChoices`` of ctip's own codes; ``HTCDS`` maps a code to the standard's value
name where the standard has one (an extension maps to the standard's nearest value, usually
``Other``). ``unknown`` is a code of its own in every list: what the person did not say or the
worker does not know is recorded as unknown, never guessed, and leaves the system as CTDC's
missing code. The HTCDS field each list serves is named in ``docs/htcds-mapping.md``."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from ctip.cases import iso3166

UNKNOWN = "unknown"


class TraffickingStatus(models.TextChoices):
    POSSIBLE = "possible", _("possible victim of trafficking")
    ACTUAL = "actual", _("victim of trafficking (decided)")
    NOT_VICTIM = "not_victim", _("not a victim of trafficking")
    UNKNOWN = "unknown", _("unknown")


class DecisionBody(models.TextChoices):
    """Who decided the victim status (Law on Prevention of Human Trafficking 2024, Art. 27)."""

    POLICE = "police", _("police")
    BORDER_GUARD = "border_guard", _("border guard")
    COMMUNE_COMMITTEE = "commune_committee", _("commune People's Committee (Art. 27)")
    COURT = "court", _("court or procuracy")
    FOREIGN_AUTHORITY = "foreign_authority", _("authority of the country of destination")
    NGO = "ngo", _("non-governmental organisation")
    OTHER = "other", _("another body")
    UNKNOWN = "unknown", _("unknown")


class RecruitmentMethod(models.TextChoices):
    PLACE_OF_BUSINESS = "place_of_business", _("at a place of business")
    EDUCATION = "education", _("at a school or college")
    AT_WORK = "at_work", _("at work")
    SOCIAL_NETWORK = "social_network", _("through online social networks")
    ONLINE_AD = "online_ad", _("through an online job or marriage advertisement")
    TV_AD = "tv_ad", _("through a television advertisement")
    NEWSPAPER_AD = "newspaper_ad", _("through a newspaper advertisement")
    FAMILY = "family", _("through family or family events")
    FRIENDS = "friends", _("through friends or social events")
    BROKER = "broker", _("through a labour or marriage broker")
    ABDUCTION = "abduction", _("abducted or taken by force")
    OTHER = "other", _("other")
    UNKNOWN = "unknown", _("unknown")


class RecruiterRelation(models.TextChoices):
    INTIMATE_PARTNER = "intimate_partner", _("intimate partner or lover")
    FAMILY = "family", _("family member or relative")
    FRIEND = "friend", _("friend")
    ACQUAINTANCE = "acquaintance", _("neighbour or acquaintance")
    BROKER = "broker", _("broker or employment agent")
    STRANGER = "stranger", _("stranger (met online or by chance)")
    OTHER = "other", _("other")
    UNKNOWN = "unknown", _("unknown")


class MeansOfControl(models.TextChoices):
    PHYSICAL_THREATS = "physical_threats", _("physical threats")
    THREATS_LAW = "threats_law", _("threats of the police or deportation")
    THREATS_FAMILY = "threats_family", _("threats against children or family")
    DEBT = "debt", _("debt bondage")
    FALSE_PROMISES = "false_promises", _("false promises")
    PHYSICAL_ABUSE = "physical_abuse", _("physical abuse")
    SEXUAL_ABUSE = "sexual_abuse", _("sexual abuse")
    TAKES_EARNINGS = "takes_earnings", _("takes earnings")
    RESTRICTS_MONEY = "restricts_money", _("restricts access to money")
    RESTRICTS_MEDICAL = "restricts_medical", _("restricts medical care")
    WITHHOLDS_NECESSITIES = "withholds_necessities", _("withholds food, water or sleep")
    PSYCHOLOGICAL = "psychological", _("psychological abuse")
    SUBSTANCES = "substances", _("drugs or alcohol")
    EXCESSIVE_HOURS = "excessive_hours", _("excessive working hours")
    DOCUMENTS = "documents", _("identity documents taken")
    CONFINEMENT = "confinement", _("confinement or restricted movement")
    RESOLD = "resold", _("sold on or threatened with being sold on")
    OTHER = "other", _("other")
    UNKNOWN = "unknown", _("unknown")


class Exploitation(models.TextChoices):
    FORCED_LABOUR = "forced_labour", _("forced labour")
    SCAM_COMPOUND = "scam_compound", _("forced criminality in an online scam compound")
    OTHER_CRIMINALITY = "criminality", _("other forced criminality")
    SEXUAL = "sexual", _("sexual exploitation")
    FORCED_MARRIAGE = "forced_marriage", _("forced marriage")
    CHILD_LABOUR = "child_labour", _("child labour")
    SERVITUDE = "servitude", _("servitude")
    BEGGING = "begging", _("forced begging")
    SURROGACY = "surrogacy", _("forced surrogacy or sale of a baby")
    ORGAN_REMOVAL = "organ_removal", _("organ removal")
    OTHER = "other", _("other")
    UNKNOWN = "unknown", _("unknown")


class LabourIndustry(models.TextChoices):
    """ISIC rev. 4 sections, as HTCDS; ``fishing`` and ``domestic`` named apart."""

    AGRICULTURE = "A", _("agriculture, forestry and fishing")
    FISHING_VESSEL = "A_fishing", _("work on a fishing vessel")
    MINING = "B", _("mining and quarrying")
    MANUFACTURING = "C", _("manufacturing")
    CONSTRUCTION = "F", _("construction")
    TRADE = "G", _("wholesale and retail trade")
    TRANSPORT = "H", _("transport and storage")
    HOSPITALITY = "I", _("accommodation, restaurants and karaoke")
    ICT = "J", _("information and communication")
    SERVICES = "S", _("other services")
    DOMESTIC = "T", _("domestic work in a household")
    OTHER = "other", _("other")
    UNKNOWN = "unknown", _("unknown")


class SexExploitation(models.TextChoices):
    PROSTITUTION = "prostitution", _("prostitution")
    PORNOGRAPHY = "pornography", _("pornography")
    REMOTE = "remote", _("remote interactive services (webcam)")
    PRIVATE = "private", _("private sexual services")
    UNKNOWN = "unknown", _("unknown")


class ReturnMeans(models.TextChoices):
    RESCUED = "rescued", _("rescued")
    REPATRIATED = "repatriated", _("repatriated by the authorities")
    HANDED_OVER = "handed_over", _("received at the border from the other country")
    SELF_RETURNED = "self_returned", _("came back by herself or himself")
    WITH_HELP = "with_help", _("came back with help from family or an organisation")
    NOT_RETURNED = "not_returned", _("has not returned")
    OTHER = "other", _("other")
    UNKNOWN = "unknown", _("unknown")


class BorderGate(models.TextChoices):
    """International border gates of the land borders with Cambodia, Laos and China, the main
    airports, and the cases with no gate."""

    MOC_BAI = "moc_bai", "Mộc Bài (Tây Ninh – Campuchia)"
    XA_MAT = "xa_mat", "Xa Mát (Tây Ninh – Campuchia)"
    HOA_LU = "hoa_lu", "Hoa Lư (Bình Phước – Campuchia)"
    TINH_BIEN = "tinh_bien", "Tịnh Biên (An Giang – Campuchia)"
    VINH_XUONG = "vinh_xuong", "Vĩnh Xương (An Giang – Campuchia)"
    XA_XIA = "xa_xia", "Hà Tiên – Xà Xía (Kiên Giang – Campuchia)"
    DINH_BA = "dinh_ba", "Dinh Bà (Đồng Tháp – Campuchia)"
    LE_THANH = "le_thanh", "Lệ Thanh (Gia Lai – Campuchia)"
    BO_Y = "bo_y", "Bờ Y (Kon Tum – Lào)"
    LAO_BAO = "lao_bao", "Lao Bảo (Quảng Trị – Lào)"
    LA_LAY = "la_lay", "La Lay (Quảng Trị – Lào)"
    CHA_LO = "cha_lo", "Cha Lo (Quảng Bình – Lào)"
    CAU_TREO = "cau_treo", "Cầu Treo (Hà Tĩnh – Lào)"
    NAM_CAN = "nam_can", "Nậm Cắn (Nghệ An – Lào)"
    NA_MEO = "na_meo", "Na Mèo (Thanh Hóa – Lào)"
    TAY_TRANG = "tay_trang", "Tây Trang (Điện Biên – Lào)"
    NAM_GIANG = "nam_giang", "Nam Giang (Quảng Nam – Lào)"
    MONG_CAI = "mong_cai", "Móng Cái (Quảng Ninh – Trung Quốc)"
    HUU_NGHI = "huu_nghi", "Hữu Nghị (Lạng Sơn – Trung Quốc)"
    LAO_CAI = "lao_cai", "Lào Cai (Lào Cai – Trung Quốc)"
    TA_LUNG = "ta_lung", "Tà Lùng (Cao Bằng – Trung Quốc)"
    THANH_THUY = "thanh_thuy", "Thanh Thủy (Hà Giang – Trung Quốc)"
    NOI_BAI = "noi_bai", _("Nội Bài airport")
    TAN_SON_NHAT = "tan_son_nhat", _("Tân Sơn Nhất airport")
    OTHER_AIRPORT = "other_airport", _("another airport")
    TRAIL = "trail", _("a trail or unofficial crossing")
    OTHER = "other", _("another border gate")
    NONE = "none", _("did not cross a border")
    UNKNOWN = "unknown", _("unknown")


CAMBODIA_GATES = frozenset({"moc_bai", "xa_mat", "hoa_lu", "tinh_bien", "vinh_xuong",
                            "xa_xia", "dinh_ba", "le_thanh"})
LAOS_GATES = frozenset({"bo_y", "lao_bao", "la_lay", "cha_lo", "cau_treo", "nam_can", "na_meo",
                        "tay_trang", "nam_giang"})

# Vietnam's 54 ethnic groups with the General Statistics Office's codes (Decision
# 121-TCTK/PPCĐ, 1979); the names are proper names, the same in every language of the UI.
ETHNIC_GROUPS: tuple[tuple[str, str], ...] = (
    ("01", "Kinh"), ("02", "Tày"), ("03", "Thái"), ("04", "Hoa"), ("05", "Khơ-me"),
    ("06", "Mường"), ("07", "Nùng"), ("08", "Mông"), ("09", "Dao"), ("10", "Gia-rai"),
    ("11", "Ngái"), ("12", "Ê-đê"), ("13", "Ba-na"), ("14", "Xơ-đăng"), ("15", "Sán Chay"),
    ("16", "Cơ-ho"), ("17", "Chăm"), ("18", "Sán Dìu"), ("19", "Hrê"), ("20", "Mnông"),
    ("21", "Ra-glai"), ("22", "Xtiêng"), ("23", "Bru-Vân Kiều"), ("24", "Thổ"), ("25", "Giáy"),
    ("26", "Cơ-tu"), ("27", "Gié-Triêng"), ("28", "Mạ"), ("29", "Khơ-mú"), ("30", "Co"),
    ("31", "Tà-ôi"), ("32", "Chơ-ro"), ("33", "Kháng"), ("34", "Xinh-mun"), ("35", "Hà Nhì"),
    ("36", "Chu-ru"), ("37", "Lào"), ("38", "La Chí"), ("39", "La Ha"), ("40", "Phù Lá"),
    ("41", "La Hủ"), ("42", "Lự"), ("43", "Lô Lô"), ("44", "Chứt"), ("45", "Mảng"),
    ("46", "Pà Thẻn"), ("47", "Cơ Lao"), ("48", "Cống"), ("49", "Bố Y"), ("50", "Si La"),
    ("51", "Pu Péo"), ("52", "Brâu"), ("53", "Ơ Đu"), ("54", "Rơ-măm"),
)
ETHNIC_CODES = frozenset(code for code, _name in ETHNIC_GROUPS)
FOREIGN = "foreign"


def ethnic_choices() -> list[tuple[str, str]]:
    return [(UNKNOWN, str(_("unknown"))), *ETHNIC_GROUPS,
            (FOREIGN, str(_("foreign national")))]


def country_choices() -> list[tuple[str, str]]:
    """Unknown, Vietnam and the region first, then every ISO 3166 country by name."""
    first = ["VN", "KH", "LA", "CN", "TH", "MM", "MY", "TW", "KR", "JP"]
    rest = sorted((c for c in iso3166.COUNTRIES if c not in first), key=iso3166.name)
    return [(UNKNOWN, str(_("unknown"))), *((c, iso3166.name(c)) for c in [*first, *rest])]


def is_country(code: str) -> bool:
    return code == UNKNOWN or code in iso3166.COUNTRIES


# --- HTCDS value names ---------------------------------------------------------------------

HTCDS: dict[str, dict[str, str]] = {
    "vic_TraffickingStatus": {"possible": "PossibleVictimOfTrafficking",
                              "actual": "ActualVictimOfTrafficking",
                              "not_victim": "NotAVictimOfTrafficking"},
    "vic_TraffickingStatusDecisionMakingOrg": {
        "police": "Police", "border_guard": "NonPoliceGovernmentalOrganization",
        "commune_committee": "NonPoliceGovernmentalOrganization", "court": "CourtOrProsecution",
        "foreign_authority": "Other", "ngo": "NGO", "other": "Other"},
    "vic_MethodOfRecruitment": {
        "place_of_business": "AtAPlaceOfBusiness", "education": "AtAnEducationalInstitution",
        "at_work": "AtWork", "social_network": "ThroughOnlineSocialNetworks",
        "online_ad": "ThroughAnOnlineAdvertisement", "tv_ad": "ThroughATelevisionAdvert",
        "newspaper_ad": "ThroughANewspaperAdvert", "family": "ThroughFamilyOrFamilyEvents",
        "friends": "ThroughFriendsOrSocialEvents", "broker": "Other", "abduction": "Other",
        "other": "Other"},
    "vic_RelationshipToTrafficker": {
        "intimate_partner": "Acquainted", "family": "Familial", "friend": "Acquainted",
        "acquaintance": "Acquainted", "broker": "Acquainted", "stranger": "Unaquainted",
        "other": "Acquainted"},
    "vic_MethodsOfControl": {
        "physical_threats": "PhysicalThreats", "threats_law": "ThreatsLawEnforcement",
        "threats_family": "ThreatensChildrenFamily", "debt": "DebtBondage",
        "false_promises": "FalsePromises", "physical_abuse": "PhysicalAbuse",
        "sexual_abuse": "SexualAbuse", "takes_earnings": "TakesEarnings",
        "restricts_money": "RestrictsFinancialAccess", "restricts_medical": "RestrictsMedicalCare",
        "withholds_necessities": "WithholdsNecessities", "psychological": "PsychologicalAbuse",
        "substances": "PsychoactiveSubstance", "excessive_hours": "ExcessiveWorkingHours",
        "documents": "WithholdsDocuments", "confinement": "Other", "resold": "Other",
        "other": "Other"},
    "vic_TypeOfExploitation": {
        "forced_labour": "ForcedLabour", "scam_compound": "ForcedLabour",
        "criminality": "ForcedLabour", "sexual": "SexualExploitation",
        "forced_marriage": "ForcedMarriage", "child_labour": "ChildLabour",
        "servitude": "Servitude", "begging": "ForcedBegging", "surrogacy": "Surrogacy",
        "organ_removal": "OrganRemoval", "other": "Other"},
    "vic_ForcedLabourIndustry": {
        "A": "A_AgricultureForestryAndFishing", "A_fishing": "A_AgricultureForestryAndFishing",
        "B": "B_MiningAndQuarrying", "C": "C_Manufacturing", "F": "F_Construction",
        "G": "G_WholesaleAndRetailTradeRepairOfMotorVehicles",
        "H": "H_TransportationAndStorage", "I": "I_AccommodationAndFoodServiceActivities",
        "J": "J_InformationAndCommunication", "S": "S_OtherServiceActivities",
        "T": "T_ActivitiesOfHouseholdsAsEmployers"},
    "vic_TypeOfSexExploitation": {
        "prostitution": "Prostitution", "pornography": "Pornography",
        "remote": "RemoteInteractiveServices", "private": "PrivateSexualServices"},
    "prs_Gender": {"female": "Feminine", "male": "Masculine", "other": "NonSpecifiedUnknown"},
}


def htcds_value(field: str, code: str) -> str | None:
    """The HTCDS value name of ``code`` for ``field``; None for unknown (a missing value)."""
    if not code or code == UNKNOWN:
        return None
    return HTCDS[field].get(code, "Other")


def htcds_values(field: str, codes: list[str]) -> list[str]:
    return sorted({v for c in codes if (v := htcds_value(field, c)) is not None})


def label(choices: type[models.TextChoices], code: str) -> str:
    try:
        return str(choices(code).label)
    except ValueError:
        return code


# --- Display ---------------------------------------------------------------------------------

def _labels(choices: type[models.TextChoices], codes: list[str]) -> str:
    return ", ".join(label(choices, c) for c in codes) or str(_("unknown"))


def _day(value: object) -> str:
    return value.strftime("%d/%m/%Y") if hasattr(value, "strftime") else "—"


def _place(country: str, province: str = "", commune: object = None) -> str:
    parts = [str(commune) if commune is not None else "", province_name(province),
             iso3166.name(country) if country != UNKNOWN else str(_("unknown"))]
    return ", ".join(p for p in parts if p)


def province_name(code: str) -> str:
    if not code:
        return ""
    # vietnam_provinces (0.2 s to import) only when the provinces are listed
    from vietnam_provinces import Province

    for province in Province.iter_all():
        if str(province.code.value) == code:
            return province.name
    return code


def describe_event(e: Any, *, narrative: bool) -> SimpleNamespace:
    """A trafficking event as (label, value) rows for the case page; the place of
    exploitation only with ``narrative`` (her case workers)."""
    exploitation = _labels(Exploitation, e.exploitation)
    if e.labour_industry:
        exploitation += f" ({label(LabourIndustry, e.labour_industry)})"
    if e.sex_exploitation:
        exploitation += f" ({_labels(SexExploitation, e.sex_exploitation)})"
    where = _place(e.exploitation_country)
    if narrative and e.exploitation_place:
        where = f"{e.exploitation_place}, {where}"
    recruited_in = _place(e.recruitment_country, e.recruitment_province, e.recruitment_commune)
    status = f"{label(TraffickingStatus, e.status)} — {label(DecisionBody, e.decided_by)}"
    rows = [
        (_("Victim status"), f"{status}, {_day(e.decided_on)}"),
        (_("Recruited"), f"{_labels(RecruitmentMethod, e.recruitment_methods)} — "
                         f"{recruited_in}, {_day(e.recruited_on)}"),
        (_("Recruiter"), label(RecruiterRelation, e.recruiter_relation)),
        (_("Means of control"), _labels(MeansOfControl, e.means_of_control)),
        (_("Exploitation"), exploitation),
        (_("Where and when"),
         f"{where}: {_day(e.exploitation_start)} – {_day(e.exploitation_end)}"),
        (_("Return"), f"{label(ReturnMeans, e.return_means)}, "
                      f"{label(BorderGate, e.border_gate)}, {_day(e.returned_on)}"),
    ]
    return SimpleNamespace(pk=e.pk, rows=rows)
