"""Demo content of the public bulletin: four sections and about thirty articles, written fresh
for the demo, with images drawn on the spot. Some articles are scheduled for the coming days and
one waits for a publisher's approval. Safe to build again: what exists is kept."""

from __future__ import annotations

import datetime as dt
import io
import json
from dataclasses import dataclass, field
from typing import Any

from django.core.files.images import ImageFile
from django.utils import timezone
from wagtail.images import get_image_model
from wagtail.search import index

from ctip.accounts.models import User
from ctip.demo.files import png_poster
from ctip.org.models import Unit
from ctip.portal.models import ArticlePage, BulletinHome, SectionPage
from ctip.portal.setup import ensure_bulletin
from ctip.portal.slugs import vietnamese_slug

SECTIONS = [
    ("tuyen-truyen", "Tuyên truyền trong Nhân dân",
     "Cảnh báo thủ đoạn, hướng dẫn tự bảo vệ và những câu chuyện từ cơ sở."),
    ("hoat-dong-hoi", "Hoạt động Hội",
     "Việc làm của các cấp Hội, câu lạc bộ và tổ phụ nữ trong phòng, chống mua bán người."),
    ("van-ban-phap-luat", "Văn bản pháp luật",
     "Luật, nghị định và hướng dẫn mới, tóm tắt cho hội viên dễ đọc."),
    ("hoi-dap-phap-luat", "Hỏi đáp pháp luật",
     "Câu hỏi của hội viên, phụ nữ và người dân, được cán bộ tư vấn pháp luật trả lời."),
]
BYLINES = ["Minh Thư", "Hoài An", "Bảo Trâm", "Thanh Tâm", "Ngọc Hân", "Kim Yến"]
COLOURS = [(138, 21, 56), (11, 79, 156), (30, 107, 52), (138, 83, 0), (90, 40, 120)]


@dataclass
class Article:
    section: str
    title: str
    lead: str
    paragraphs: list[str]
    tags: list[str] = field(default_factory=list)
    days_ago: int = 0  # negative: scheduled that many days ahead
    hour: int = 9
    caption: str = ""  # an image with this caption when set
    alt: str = ""
    heading: str = ""  # a sub-heading before the last paragraph
    quote: tuple[str, str] | None = None
    review: bool = False  # submitted for moderation, not published


ARTICLES = [
    # --- Tuyên truyền trong Nhân dân (14, two pages) -------------------------------------------
    Article("tuyen-truyen", "Lời mời “việc nhẹ lương cao” trên mạng: năm dấu hiệu cần dừng lại",
            "Một bài đăng hứa trả hai, ba nghìn đô la mỗi tháng cho việc trực máy tính, không "
            "cần kinh nghiệm, lo trọn vé máy bay: đó thường là mồi nhử đầu tiên.",
            ["Người tuyển dụng thật sẽ nói rõ tên doanh nghiệp, địa chỉ, mức lương theo hợp "
             "đồng và không giục bạn lên đường trong vài ngày. Khi ai đó chỉ liên lạc qua "
             "tin nhắn, đổi tài khoản liên tục và dặn giữ kín với gia đình, hãy nghi ngờ.",
             "Năm dấu hiệu: lương cao bất thường so với công việc; không cần bằng cấp hay "
             "ngoại ngữ; được bao toàn bộ chi phí đi lại; phải nhập cảnh bằng đường mòn hoặc "
             "đi du lịch rồi ở lại; bị yêu cầu giao hộ chiếu cho người khác giữ.",
             "Gặp một trong các dấu hiệu trên, hãy gọi 111 để được tư vấn miễn phí, hoặc báo "
             "ngay cho cán bộ Hội phụ nữ xã, phường nơi mình ở."],
            ["việc nhẹ lương cao", "mạng xã hội", "lừa đảo"], days_ago=2, hour=8,
            caption="Buổi sinh hoạt tổ phụ nữ trao đổi về các bài đăng tuyển dụng đáng ngờ.",
            alt="Nhóm phụ nữ ngồi quanh bàn xem điện thoại cùng cán bộ Hội."),
    Article("tuyen-truyen", "Đường dây nóng 111: gọi miễn phí, bất kể ngày đêm",
            "Số 111 là tổng đài quốc gia bảo vệ trẻ em, đồng thời tiếp nhận tin báo và tư "
            "vấn về mua bán người. Cuộc gọi không mất tiền và người gọi có thể giấu tên.",
            ["Bạn có thể gọi 111 khi nghi ngờ một lời mời đi làm, khi người thân mất liên lạc "
             "sau khi sang nước khác, hoặc khi cần biết nên làm gì tiếp theo. Tổng viên sẽ "
             "hỏi những thông tin cần thiết và chuyển tới cơ quan có trách nhiệm.",
             "Số đường dây cũ trước đây đã được gộp vào 111; các tờ rơi in số cũ nên được thay. "
             "Trường hợp khẩn cấp, có nguy hiểm trước mắt, hãy gọi Công an theo số 113."],
            ["đường dây nóng 111", "hỗ trợ"], days_ago=4, hour=15,
            quote=("Chị em cứ gọi 111, không phải ngại. Gọi sớm thì mình giúp được nhiều hơn.",
                   "Một tư vấn viên tổng đài")),
    Article("tuyen-truyen", "Đi làm việc ở nước ngoài an toàn: hỏi kỹ trước khi ký",
            "Đi lao động theo hợp đồng là con đường chính đáng; điều quan trọng là đi qua "
            "doanh nghiệp được cấp phép và giữ giấy tờ của mình.",
            ["Trước khi đặt cọc, hãy kiểm tra giấy phép của doanh nghiệp dịch vụ đưa người đi "
             "làm việc ở nước ngoài tại cơ quan quản lý lao động của tỉnh. Hợp đồng phải ghi "
             "rõ công việc, nơi làm, giờ làm, tiền lương và chi phí.",
             "Hãy chụp lại hộ chiếu, hợp đồng, số điện thoại của doanh nghiệp và của cơ quan "
             "đại diện Việt Nam ở nước đến, để lại một bản cho gia đình. Không ai có quyền giữ "
             "hộ chiếu của bạn."],
            ["di cư an toàn", "xuất khẩu lao động"], days_ago=7, hour=10,
            heading="Trước ngày lên đường"),
    Article("tuyen-truyen", "Khi người thân mất liên lạc sau chuyến “đi du lịch”",
            "Nhiều gia đình chỉ nhận ra điều bất thường khi con em không còn trả lời tin nhắn. "
            "Những giờ đầu rất quan trọng.",
            ["Hãy ghi lại tên tài khoản mạng xã hội, số điện thoại, ảnh chụp tin nhắn cuối "
             "cùng và tên người đã rủ đi. Đừng xóa cuộc trò chuyện, kể cả khi thấy xấu hổ.",
             "Báo ngay cho Công an xã và cán bộ Hội phụ nữ; gọi 111 để được hướng dẫn. Không "
             "chuyển tiền chuộc cho bất kỳ ai khi chưa hỏi ý kiến cơ quan chức năng."],
            ["mất liên lạc", "gia đình"], days_ago=10, hour=14),
    Article("tuyen-truyen", "Tin nhắn tuyển người mẫu ảnh: cái bẫy nhắm vào nữ sinh",
            "Lời mời chụp ảnh quảng cáo với thù lao hấp dẫn có thể là bước đầu để dụ các em "
            "rời khỏi gia đình.",
            ["Kẻ xấu thường khen ngợi, gửi quà nhỏ, rồi hẹn gặp ở tỉnh khác. Phụ huynh nên trò "
             "chuyện với con về những lời mời như vậy và cùng con kiểm tra thông tin.",
             "Nhà trường và chi hội có thể tổ chức buổi sinh hoạt ngắn để các em nhận biết dấu "
             "hiệu và biết gọi 111 khi cần."],
            ["trẻ em", "học sinh", "mạng xã hội"], days_ago=13, hour=9),
    Article("tuyen-truyen", "Môi giới hôn nhân với người nước ngoài: những câu hỏi nên đặt ra",
            "Kết hôn với người nước ngoài là quyền của mỗi người; đi qua môi giới trái phép "
            "thì nhiều rủi ro.",
            ["Hãy hỏi: người kia tên gì, làm nghề gì, sống ở đâu; ai trả chi phí và vì sao; "
             "mình có được giữ giấy tờ và điện thoại không. Nếu câu trả lời mập mờ, hãy dừng.",
             "Thủ tục kết hôn có yếu tố nước ngoài được hướng dẫn tại Ủy ban nhân dân xã; cán "
             "bộ tư pháp và Hội phụ nữ sẵn sàng giải thích miễn phí."],
            ["hôn nhân có yếu tố nước ngoài", "môi giới"], days_ago=17, hour=16,
            caption="Tờ gấp hướng dẫn kết hôn an toàn được phát tại chợ phiên.",
            alt="Cán bộ Hội trao tờ gấp cho một phụ nữ ở chợ."),
    Article("tuyen-truyen", "Loa phát thanh xã: bản tin ngắn, nhắc mãi một số 111",
            "Những bản tin dài ba phút trên loa xã được bà con ở xa trung tâm nghe nhiều nhất.",
            ["Mỗi tuần, chi hội gửi một mẩu tin cảnh báo ngắn để đài truyền thanh xã phát vào "
             "giờ cơm chiều. Nội dung luôn kết thúc bằng số đường dây nóng 111.",
             "Bà con có thể góp ý nội dung qua tổ trưởng tổ phụ nữ hoặc nhắn tin cho Hội."],
            ["truyền thanh", "đường dây nóng 111"], days_ago=21, hour=17),
    Article("tuyen-truyen", "Ba việc nên làm trước khi con đi làm xa",
            "Dặn dò vài điều đơn giản giúp gia đình giữ được liên lạc và biết khi nào cần "
            "báo tin.",
            ["Thứ tự ưu tiên: biết địa chỉ nơi ở và nơi làm; hẹn giờ gọi điện cố định mỗi "
             "tuần; thống nhất một câu mật mã để con báo khi gặp nguy hiểm.",
             "Lưu số 111 và số của cán bộ Hội phụ nữ xã vào điện thoại của cả nhà."],
            ["gia đình", "di cư an toàn"], days_ago=26, hour=7),
    Article("tuyen-truyen", "Ứng dụng nhắn tin và những lời hứa đổi đời",
            "Các nhóm chat kín hứa hẹn việc làm ở nước ngoài đang thay đổi tên nhóm liên tục "
            "để tránh bị phát hiện.",
            ["Khi được mời vào một nhóm như vậy, đừng gửi ảnh giấy tờ tùy thân. Hãy chụp màn "
             "hình và gửi cho cán bộ Hội hoặc Công an xã để được kiểm tra.",
             "Chi hội có thể nhắc lại cảnh báo trong nhóm Zalo hội viên của mình."],
            ["mạng xã hội", "lừa đảo"], days_ago=31, hour=11),
    Article("tuyen-truyen", "Câu chuyện của chị Lan: trở về và bắt đầu lại",
            "Sau nhiều tháng bị giữ ở một cơ sở lừa đảo bên kia biên giới, chị Lan (tên đã "
            "thay đổi) được giải cứu và về quê.",
            ["Chị kể điều khó nhất không phải là công việc mà là nỗi sợ bị hàng xóm dị nghị. "
             "Hội phụ nữ xã đã đến thăm, giúp chị học nghề may và vay vốn nhỏ.",
             "Mọi thông tin về người trở về đều được giữ kín; chỉ khi chị đồng ý, câu chuyện "
             "mới được kể lại, không kèm tên thật và hình ảnh."],
            ["tái hòa nhập", "hỗ trợ nạn nhân"], days_ago=38, hour=9,
            quote=("Tôi chỉ mong người ta đừng hỏi nhiều, để tôi làm lại từ đầu.",
                   "Chị Lan")),
    Article("tuyen-truyen", "Thanh niên và các “công ty game” ở nước ngoài",
            "Không chỉ phụ nữ: nhiều nam thanh niên cũng bị lừa sang làm việc cho các đường "
            "dây lừa đảo trực tuyến.",
            ["Lời mời thường là làm nhân viên chăm sóc khách hàng cho công ty trò chơi, bao ăn "
             "ở. Khi đến nơi, người lao động bị thu giấy tờ và ép làm việc.",
             "Đoàn thanh niên và Hội phụ nữ phối hợp tổ chức các buổi trao đổi tại điểm sinh "
             "hoạt văn hóa ấp."],
            ["thanh niên", "lừa đảo", "việc nhẹ lương cao"], days_ago=45, hour=15),
    Article("tuyen-truyen", "Ngày toàn dân phòng, chống mua bán người 30/7: mỗi nhà một lời "
            "nhắc",
            "Hưởng ứng ngày 30/7, các chi hội treo băng rôn, phát thanh và đến từng nhà có "
            "người đang làm ăn xa.",
            ["Ngày 30/7 vừa là Ngày thế giới phòng, chống mua bán người vừa là ngày toàn dân "
             "của Việt Nam. Năm nay, Hội chọn chủ đề “Hiểu luật để tự bảo vệ”.",
             "Các gia đình được tặng miếng dán ghi số 111 để dán cạnh cửa."],
            ["30/7", "chiến dịch"], days_ago=-3, hour=7),
    Article("tuyen-truyen", "Mùa thu hoạch xong, coi chừng lời mời lên thành phố làm việc",
            "Sau vụ mùa, nhiều lao động nông thôn nhận được lời mời làm việc thời vụ với tiền "
            "công cao bất thường.",
            ["Hãy đi cùng người quen, biết tên chủ cơ sở và địa chỉ chỗ ở. Nếu bị giữ giấy tờ "
             "hoặc không được trả lương, hãy gọi 111.",
             "Cán bộ Hội ấp sẽ ghi nhận những lời mời đáng ngờ để cảnh báo chung."],
            ["lao động thời vụ", "di cư an toàn"], days_ago=-6, hour=8),
    Article("tuyen-truyen", "Phụ nữ vùng biên và chuyến chợ qua cửa khẩu",
            "Buôn bán nhỏ qua biên giới là sinh kế của nhiều chị em; cần biết quyền của mình "
            "và nơi tìm trợ giúp.",
            ["Luôn mang theo giấy tờ hợp lệ, đi theo nhóm và báo cho người nhà giờ về. Không "
             "nhận lời ở lại làm thuê theo lời rủ của người lạ.",
             "Đồn biên phòng và Hội phụ nữ xã biên giới phối hợp hướng dẫn bà con."],
            ["biên giới", "sinh kế"], days_ago=52, hour=10),
    # --- Hoạt động Hội (7) ----------------------------------------------------------------
    Article("hoat-dong-hoi", "Câu lạc bộ “Phụ nữ với pháp luật” ấp Mỹ Lộc sinh hoạt chuyên đề",
            "Hơn bốn mươi hội viên cùng nghe báo cáo viên chia sẻ các tình huống lừa đảo tuyển "
            "dụng gần đây.",
            ["Buổi sinh hoạt được tổ chức theo hình thức hỏi đáp, có phần đóng vai để chị em "
             "tập từ chối lời mời đáng ngờ.",
             "Cuối buổi, câu lạc bộ bầu thêm hai thành viên nòng cốt để đi thăm các gia đình có "
             "con đi làm xa."],
            ["câu lạc bộ", "sinh hoạt chuyên đề"], days_ago=3, hour=16,
            caption="Hội viên câu lạc bộ tập tình huống từ chối lời mời việc làm.",
            alt="Hai phụ nữ đứng trước lớp đóng vai một cuộc trò chuyện."),
    Article("hoat-dong-hoi", "Tập huấn kỹ năng cho báo cáo viên cấp xã",
            "Các báo cáo viên, tuyên truyền viên được cập nhật luật mới và cách kể chuyện cho "
            "bà con dễ nhớ.",
            ["Lớp tập huấn kéo dài hai ngày, kết hợp lý thuyết với thực hành. Học viên được "
             "hướng dẫn cách giữ bí mật thông tin khi nhắc đến các vụ việc có thật.",
             "Mỗi học viên về địa phương sẽ tổ chức ít nhất hai buổi nói chuyện trong quý."],
            ["báo cáo viên", "tập huấn"], days_ago=9, hour=8),
    Article("hoat-dong-hoi", "Tổ liên kết vay vốn giúp chị em có nghề tại chỗ",
            "Từ nguồn vốn ủy thác, tổ liên kết ở xã biên giới giúp mười hai chị em mở sạp "
            "hàng, nuôi gà và may gia công.",
            ["Có sinh kế tại chỗ, nhiều chị không còn phải nhận lời đi làm xa mà không rõ nơi "
             "đến. Tổ họp mỗi tháng để chia sẻ kinh nghiệm làm ăn.",
             "Hội sẽ nhân rộng mô hình sang hai ấp lân cận trong năm tới."],
            ["vốn ủy thác", "sinh kế", "mô hình"], days_ago=16, hour=14),
    Article("hoat-dong-hoi", "Giao lưu với Hội phụ nữ xã bạn bên kia biên giới",
            "Hai bên trao đổi cách thông báo cho nhau khi có người mất liên lạc hoặc nghi bị "
            "lừa bán.",
            ["Buổi giao lưu có đại diện đồn biên phòng. Hai bên thống nhất đầu mối liên lạc và "
             "cách chia sẻ thông tin, tôn trọng quy định của mỗi nước.",
             "Các chị em cũng giới thiệu món ăn và điệu múa truyền thống của địa phương mình."],
            ["giao lưu biên giới", "hợp tác"], days_ago=24, hour=9),
    Article("hoat-dong-hoi", "Thăm hỏi gia đình có người vừa trở về",
            "Cán bộ Hội xã cùng cán bộ được phân công hỗ trợ đến thăm, mang theo quà và thông "
            "tin về các dịch vụ hỗ trợ.",
            ["Người trở về được giới thiệu quyền được hỗ trợ theo luật: chăm sóc y tế, tư vấn "
             "tâm lý, trợ giúp pháp lý, học nghề và vay vốn.",
             "Mọi cuộc thăm đều được báo trước và chỉ diễn ra khi gia đình đồng ý."],
            ["hỗ trợ nạn nhân", "tái hòa nhập"], days_ago=33, hour=15),
    Article("hoat-dong-hoi", "Khen thưởng chi hội làm tốt công tác tuyên truyền",
            "Ba chi hội và năm cá nhân được Ban Thường vụ Hội tỉnh khen vì cách làm sáng tạo "
            "trong năm qua.",
            ["Chi hội khu phố 3 được khen vì đưa cảnh báo vào buổi họp tổ dân phố hằng tháng; "
             "một tuyên truyền viên được khen vì đi từng nhà ở ấp xa.",
             "Hội mong các chi hội khác học hỏi và chia sẻ cách làm của mình."],
            ["khen thưởng", "thi đua"], days_ago=47, hour=10),
    Article("hoat-dong-hoi", "Kế hoạch hoạt động tháng hành động phòng, chống mua bán người",
            "Các cơ sở Hội đăng ký hoạt động để tổng hợp trước ngày 30/7.",
            ["Mỗi xã, phường tổ chức ít nhất một buổi nói chuyện chuyên đề, một bản tin phát "
             "thanh và một lượt thăm gia đình có người đi làm xa.",
             "Kết quả được báo cáo về Hội tỉnh qua hệ thống quản lý hoạt động."],
            ["kế hoạch", "30/7"], days_ago=-10, hour=9),
    # --- Văn bản pháp luật (5) ------------------------------------------------------------
    Article("van-ban-phap-luat", "Luật Phòng, chống mua bán người số 53/2024/QH15 có hiệu lực "
            "từ ngày 01/7/2025",
            "Luật mới mở rộng đối tượng được bảo vệ, quy định rõ hơn việc tiếp nhận, xác minh "
            "và hỗ trợ nạn nhân.",
            ["Luật do Quốc hội thông qua năm 2024, thay thế luật năm 2011. Người đang trong "
             "quá trình xác định là nạn nhân cũng được bảo vệ và hỗ trợ.",
             "Luật nghiêm cấm tiết lộ thông tin về nạn nhân khi chưa có sự đồng ý của họ hoặc "
             "người đại diện."],
            ["Luật 53/2024/QH15", "luật mới"], days_ago=5, hour=9, heading="Điểm mới chính"),
    Article("van-ban-phap-luat", "Quyền được hỗ trợ của nạn nhân theo luật mới",
            "Nạn nhân và người đang được xác định là nạn nhân có thể nhận nhiều loại hỗ trợ "
            "khác nhau tùy hoàn cảnh.",
            ["Các chế độ gồm: đáp ứng nhu cầu thiết yếu, chăm sóc y tế, hỗ trợ tâm lý, trợ giúp "
             "pháp lý, phiên dịch, chi phí đi lại, học văn hóa, học nghề, tư vấn việc làm, trợ "
             "cấp khó khăn ban đầu và hỗ trợ vay vốn.",
             "Hội phụ nữ các cấp phối hợp giới thiệu để nạn nhân nhận được hỗ trợ phù hợp."],
            ["Luật 53/2024/QH15", "hỗ trợ nạn nhân"], days_ago=12, hour=10),
    Article("van-ban-phap-luat", "Bảo vệ dữ liệu cá nhân: Hội giữ thông tin của người báo tin "
            "thế nào",
            "Luật Bảo vệ dữ liệu cá nhân có hiệu lực từ 01/01/2026 đặt ra yêu cầu chặt chẽ với "
            "dữ liệu nhạy cảm.",
            ["Thông tin về nạn nhân, sức khỏe, nơi ở là dữ liệu nhạy cảm. Chỉ cán bộ được phân "
             "công mới xem được, và mỗi lần xem đều được ghi lại.",
             "Người báo tin có thể giấu tên; nếu để lại số điện thoại, số đó chỉ dùng để liên "
             "hệ lại về đúng việc đã báo."],
            ["dữ liệu cá nhân", "bảo mật"], days_ago=20, hour=14),
    Article("van-ban-phap-luat", "Tóm tắt Luật Phòng, chống bạo lực gia đình cho hội viên",
            "Bạo lực gia đình có thể đẩy phụ nữ và trẻ em vào hoàn cảnh dễ bị lợi dụng.",
            ["Luật quy định các biện pháp bảo vệ, hỗ trợ người bị bạo lực, trong đó có cấm "
             "tiếp xúc và nơi tạm lánh.",
             "Người bị bạo lực có thể báo với trưởng ấp, Công an xã, Hội phụ nữ hoặc gọi 111 "
             "nếu là trẻ em."],
            ["bạo lực gia đình", "luật"], days_ago=36, hour=9),
    Article("van-ban-phap-luat", "Nghị định hướng dẫn luật phòng, chống mua bán người: những "
            "việc ở cấp xã",
            "Ủy ban nhân dân xã tiếp nhận người được giải cứu hoặc tự trở về và phối hợp xác "
            "minh trong thời hạn ngắn.",
            ["Cán bộ Hội phụ nữ xã tham gia hỗ trợ ban đầu: đón tiếp, giữ bí mật, kết nối với "
             "y tế và gia đình khi người đó đồng ý.",
             "Bài viết tóm tắt để tham khảo; khi áp dụng cần đọc nguyên văn văn bản."],
            ["nghị định", "cấp xã"], days_ago=55, hour=15),
    # --- Hỏi đáp pháp luật (6) ------------------------------------------------------------
    Article("hoi-dap-phap-luat", "Hỏi: Con tôi được mời sang nước ngoài làm việc, cần kiểm tra "
            "gì?",
            "Một phụ huynh ở phường Tân An hỏi cách biết lời mời việc làm có đáng tin hay "
            "không.",
            ["Trả lời: Hãy hỏi tên và giấy phép của doanh nghiệp, đọc kỹ hợp đồng trước khi "
             "ký, không nộp tiền cho cá nhân. Doanh nghiệp hợp pháp không yêu cầu đi bằng "
             "visa du lịch.",
             "Nếu còn băn khoăn, gia đình có thể gọi 111 hoặc đến Hội phụ nữ phường để được "
             "hướng dẫn."],
            ["hỏi đáp", "xuất khẩu lao động"], days_ago=6, hour=11),
    Article("hoi-dap-phap-luat", "Hỏi: Báo tin mà không muốn lộ tên có được không?",
            "Nhiều người ngại báo vì sợ bị làm phiền hay bị trả thù.",
            ["Trả lời: Được. Bạn có thể gọi 111 mà không cần nói tên, hoặc dùng mục “Báo tin” "
             "trên trang này và chọn giấu tên.",
             "Thông tin bạn gửi chỉ chuyển tới cán bộ xã, phường được giao xử lý, không bao "
             "giờ được đăng công khai."],
            ["hỏi đáp", "báo tin", "bảo mật"], days_ago=14, hour=9),
    Article("hoi-dap-phap-luat", "Hỏi: Người trở về có phải tự trả chi phí khám bệnh?",
            "Một hội viên hỏi giúp người quen vừa được đưa về từ nước ngoài.",
            ["Trả lời: Theo luật, nạn nhân và người đang được xác định là nạn nhân được hỗ trợ "
             "chăm sóc y tế. Cán bộ Hội xã sẽ hướng dẫn thủ tục.",
             "Bạn nên giới thiệu người quen liên hệ với Hội hoặc Ủy ban nhân dân xã nơi cư "
             "trú."],
            ["hỏi đáp", "hỗ trợ nạn nhân"], days_ago=22, hour=16),
    Article("hoi-dap-phap-luat", "Hỏi: Kết hôn với người nước ngoài cần giấy tờ gì?",
            "Bạn đọc ở xã Đức Hòa hỏi về thủ tục đăng ký kết hôn có yếu tố nước ngoài.",
            ["Trả lời: Hồ sơ thường gồm tờ khai, giấy xác nhận tình trạng hôn nhân, giấy khám "
             "sức khỏe và giấy tờ tùy thân của hai bên. Cán bộ tư pháp xã sẽ hướng dẫn cụ thể.",
             "Không nên nhờ người môi giới làm hộ toàn bộ giấy tờ."],
            ["hỏi đáp", "hôn nhân có yếu tố nước ngoài"], days_ago=29, hour=10),
    Article("hoi-dap-phap-luat", "Hỏi: Giữ hộ chiếu của người làm thuê có vi phạm không?",
            "Một chủ cơ sở hỏi có được giữ giấy tờ của công nhân để họ không bỏ việc.",
            ["Trả lời: Không được. Giữ giấy tờ tùy thân của người lao động là hành vi bị cấm và "
             "là một dấu hiệu của cưỡng bức lao động.",
             "Người lao động bị giữ giấy tờ có thể báo Công an hoặc gọi 111."],
            ["hỏi đáp", "lao động"], days_ago=41, hour=14),
    Article("hoi-dap-phap-luat", "Hỏi: Con gái 15 tuổi được rủ đi làm quán ở tỉnh khác",
            "Một người mẹ lo lắng khi con nhận lời đi làm theo bạn bè quen qua mạng.",
            ["Trả lời: Trẻ dưới 16 tuổi chỉ được làm một số công việc nhẹ theo quy định. Hãy "
             "giữ con ở nhà, lưu lại tin nhắn và báo cho Hội phụ nữ, Công an xã.",
             "Gọi 111 để được tư vấn cách nói chuyện với con."],
            ["hỏi đáp", "trẻ em"], days_ago=1, hour=20, review=True),
]


def _image(title: str, colour: tuple[int, int, int], alt: str) -> Any:
    Image = get_image_model()
    existing = Image.objects.filter(title=title).first()
    if existing is not None:
        return existing
    data = png_poster(width=1200, height=675, colour=colour)
    image = Image(title=title, description=alt,
                  file=ImageFile(io.BytesIO(data), name="bao-tin-minh-hoa.png"))
    image.save()
    return image


def _body(article: Article, image: Any) -> str:
    blocks: list[dict[str, Any]] = []
    paragraphs = list(article.paragraphs)
    blocks.append({"type": "paragraph", "value": f"<p>{paragraphs.pop(0)}</p>"})
    if image is not None:
        blocks.append({"type": "image", "value": {"image": image.pk, "alt": article.alt,
                                                  "caption": article.caption}})
    if article.quote:
        blocks.append({"type": "quote", "value": {"text": article.quote[0],
                                                  "source": article.quote[1]}})
    for i, text in enumerate(paragraphs):
        if article.heading and i == len(paragraphs) - 1:
            blocks.append({"type": "heading", "value": article.heading})
        blocks.append({"type": "paragraph", "value": f"<p>{text}</p>"})
    return json.dumps(blocks, ensure_ascii=False)


def _when(article: Article, now: dt.datetime) -> dt.datetime:
    local = timezone.localtime(now).replace(hour=article.hour, minute=(article.hour * 7) % 60,
                                            second=0, microsecond=0)
    return local - dt.timedelta(days=article.days_ago)


def build_portal(province: Unit | None = None, stdout: Any = None) -> BulletinHome:
    """Create (or complete) the demo bulletin; return its home."""
    home = ensure_bulletin()
    now = timezone.now()
    editor = User.objects.filter(username="bientap").first()  # writes
    publisher = User.objects.filter(username="xuatban").first()  # approves and publishes
    province = province or Unit.objects.open().filter(unit_type__code="province").first()
    sections: dict[str, SectionPage] = {}
    for slug, title, intro in SECTIONS:
        section = SectionPage.objects.child_of(home).filter(slug=slug).first()
        if section is None:
            section = home.add_child(instance=SectionPage(title=title, slug=slug, intro=intro))
            section.save_revision(user=publisher).publish(user=publisher)
        sections[slug] = section.specific
    created = 0
    for number, article in enumerate(ARTICLES):
        section = sections[article.section]
        slug = vietnamese_slug(article.title)
        if ArticlePage.objects.child_of(section).filter(slug=slug).exists():
            continue
        image = None
        if article.caption:
            image = _image(f"Minh họa: {article.title[:60]}", COLOURS[number % len(COLOURS)],
                           article.alt)
        when = _when(article, now)
        page = ArticlePage(
            title=article.title, slug=slug, lead=article.lead, body=_body(article, image),
            byline=BYLINES[number % len(BYLINES)], publishing_unit=province, owner=editor,
            live=False)
        section.add_child(instance=page)
        page.tags.set(article.tags)
        if article.review:
            page.save_revision(user=editor)
            workflow = page.get_workflow()
            if workflow is not None:
                workflow.start(page, editor)
        elif article.days_ago < 0:  # scheduled: Wagtail publishes it when the time comes
            page.go_live_at = when
            page.save_revision(user=editor).publish(user=publisher)
        else:
            page.save_revision(user=editor).publish(user=publisher)
            ArticlePage.objects.filter(pk=page.pk).update(
                first_published_at=when, last_published_at=when)
        created += 1
    # Search works at once, without waiting for the worker to index the pages.
    for page in ArticlePage.objects.all():
        index.insert_or_update_object(page)
    if stdout is not None:
        stdout.write(f"Bulletin: {len(sections)} sections, {created} new articles "
                     f"({ArticlePage.objects.live().count()} published)")
    return home
