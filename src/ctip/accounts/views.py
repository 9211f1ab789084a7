from __future__ import annotations

import base64
import io
import math
from typing import Any

import qrcode
import qrcode.image.svg
from axes.helpers import get_client_username
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout as auth_logout
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.views import LoginView
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login
from django_otp import user_has_device

from ctip.accounts import actions, enrolment, lockout
from ctip.accounts.access import public, requires, signed_in
from ctip.accounts.forms import (
    EnrolmentCodeForm,
    GrantRoleForm,
    LoginForm,
    PasswordChangeForm,
    TokenForm,
    UserCreateForm,
)
from ctip.accounts.kept import render_kept
from ctip.accounts.middleware import otp_required
from ctip.accounts.models import RoleAssignment
from ctip.accounts.own_account import parts_of
from ctip.accounts.policy import NotInScope, has_capability
from ctip.accounts.principal import has_device
from ctip.accounts.selectors import get_user_for, home_overview, users_visible_to
from ctip.core.client import client_ip
from ctip.core.errors import ActionError, add_to_form
from ctip.core.idempotency import already_saved, submit_form_once
from ctip.core.text import fold
from ctip.core.typing import AuthedRequest


def _safe_next(request: HttpRequest, default: str = "/") -> str:
    target = request.POST.get("next") or request.GET.get("next") or default
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                       require_https=request.is_secure()):
        return target
    return default


login = public(LoginView.as_view(template_name="accounts/login.html",
                                 authentication_form=LoginForm,
                                 redirect_authenticated_user=True))


def lockout_response(request: HttpRequest, original_response: HttpResponse | None = None,
                     credentials: Any = None) -> HttpResponse:
    """What django-axes answers for a locked sign-in (``AXES_LOCKOUT_CALLABLE``).

    The same answer whether the account exists or not: how long to wait (until the lock that
    began ends; refused tries do not extend it) and whom to call. Axes calls this from its
    middleware, after the view, so the response is rendered here: a middleware's
    ``TemplateResponse`` is never rendered by Django."""
    username = str(get_client_username(request, credentials) or "")
    until = lockout.locked_until(username, client_ip(request)) if username else None
    minutes = None
    if until is not None:
        minutes = max(1, math.ceil((until - timezone.now()).total_seconds() / 60))
    return render(request, "accounts/locked_out.html",
                  {"minutes": minutes, "until": until}, status=429)


@require_POST
@public
def logout(request: HttpRequest) -> HttpResponse:
    auth_logout(request)
    messages.success(request, _("You have signed out."))
    return redirect("accounts:login")


@require_http_methods(["GET"])
@signed_in
def profile(request: AuthedRequest) -> HttpResponse:
    user = request.user
    home_unit = user.home_unit  # the snapshot's (principal.py): no query
    return render_kept(request, "accounts/profile.html", {
        "username": user.username, "full_name": user.full_name,
        "unit": home_unit.name if home_unit else "",
        "overview": home_overview(user),
        "has_device": has_device(user),  # the snapshot's devices: no query
        **parts_of(user),  # her access tokens (ctip.api)
    })


@require_http_methods(["GET", "POST"])
@signed_in
def password_change(request: AuthedRequest) -> HttpResponse:
    form = PasswordChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.change_own_password(user=request.user,
                                        old_password=form.cleaned_data["old_password"],
                                        new_password=form.cleaned_data["new_password"])
        except ActionError as exc:
            add_to_form(form, exc)
        else:
            update_session_auth_hash(request, request.user)
            messages.success(request, _("Your password has been changed."))
            return redirect("core:home")
    return TemplateResponse(request, "accounts/password_change.html", {"form": form})


def _qr_svg(url: str) -> str:
    image = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buffer = io.BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


SESSION_ENROLMENT = "ctip.otp_enrolment"


@never_cache
@require_http_methods(["GET", "POST"])
@signed_in
def otp_setup(request: AuthedRequest) -> HttpResponse:
    """Register an authenticator app: first the enrolment code an administrator gave her (until
    then nothing is created and no secret shown), then scan and type one code back."""
    user = request.user
    if user_has_device(user):
        # A second device may only be added after signing in with the first one; otherwise a
        # stolen password would be enough to register the thief's phone.
        if not user.is_verified():
            return redirect(f"{reverse('accounts:otp_verify')}?"
                            f"{urlencode({'next': _safe_next(request)})}")
        messages.info(request, _("Two-step sign-in is already on for your account."))
        return redirect("accounts:profile")
    state = request.session.get(SESSION_ENROLMENT) or {}
    under_way = enrolment.pending(user, state.get("code"), state.get("device"))
    code_form = EnrolmentCodeForm(request.POST if "enrolment_code" in request.POST else None)
    token_form = TokenForm(request.POST if "token" in request.POST else None)
    if request.method == "POST" and code_form.is_bound:
        if code_form.is_valid():
            code = enrolment.check_code(user=user, typed=code_form.cleaned_data["enrolment_code"])
            if code is None:
                code_form.add_error("enrolment_code", _(
                    "That enrolment code is not right, has expired or was already used. Ask "
                    "the officer who manages accounts at the unit above yours for a new one."))
            else:
                device = enrolment.start(user=user, code=code)
                request.session[SESSION_ENROLMENT] = {"code": code.pk, "device": device.pk}
                under_way = (code, device)
                token_form = TokenForm()
    elif request.method == "POST" and token_form.is_bound and under_way is not None:
        if token_form.is_valid():
            code, device = under_way
            if enrolment.confirm(user=user, code=code, device=device,
                                 token=token_form.cleaned_data["token"]):
                request.session.pop(SESSION_ENROLMENT, None)
                otp_login(request, device)
                messages.success(request, _("Two-step sign-in is on for your account."))
                return redirect(_safe_next(request))
            token_form.add_error("token", _("That code is not right or has expired. Try the "
                                            "newest one."))
    context: dict[str, Any] = {"next": _safe_next(request), "required": otp_required(user)}
    if under_way is None:
        request.session.pop(SESSION_ENROLMENT, None)
        context["form"] = code_form
    else:
        device = under_way[1]
        context.update(form=token_form, qr=_qr_svg(device.config_url),
                       secret=base64.b32encode(device.bin_key).decode())
    return TemplateResponse(request, "accounts/otp_setup.html", context)


@require_http_methods(["GET", "POST"])
@signed_in
def otp_verify(request: AuthedRequest) -> HttpResponse:
    if request.user.is_verified():
        return redirect(_safe_next(request))
    if not user_has_device(request.user):
        return redirect(f"{reverse('accounts:otp_setup')}?"
                        f"{urlencode({'next': _safe_next(request)})}")
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = actions.verify_otp(user=request.user, token=form.cleaned_data["token"])
        if device is not None:
            otp_login(request, device)
            return redirect(_safe_next(request))
        form.add_error("token", _("That code is not right or has expired. Try the newest one."))
    return TemplateResponse(request, "accounts/otp_verify.html",
                            {"form": form, "next": _safe_next(request)})


@require_http_methods(["GET"])
@requires("user.view")
def user_list(request: AuthedRequest) -> HttpResponse:
    users = users_visible_to(request.user)
    query = request.GET.get("q", "").strip()
    if query:
        folded = fold(query)
        users = [u for u in users if folded in fold(f"{u.username} {u.full_name}")]  # type: ignore[assignment]
    page = Paginator(users, 50).get_page(request.GET.get("page"))
    return TemplateResponse(request, "accounts/user_list.html", {
        "page": page, "query": query,
        "can_manage": has_capability(request.user, "user.manage"),
    })


@never_cache
@require_http_methods(["GET", "POST"])
@requires("user.manage")
def user_create(request: AuthedRequest) -> HttpResponse:
    form = UserCreateForm(request.POST or None, viewer=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            issued: list[str] = []

            def create() -> Any:
                user, password = actions.create_user(
                    actor=request.user, username=data["username"], full_name=data["full_name"],
                    home_unit=data["home_unit"], role=data["role"], email=data["email"],
                    phone=data["phone"])
                issued.append(password)
                return user

            done = submit_form_once(form, actor=request.user, scope="accounts.user",
                                    create=create)
        except ActionError as exc:
            add_to_form(form, exc)
        else:
            if done.replayed:  # the password was shown once, to the first answer
                messages.info(request, already_saved())
                return redirect("accounts:user_detail", pk=done.obj.pk)
            return TemplateResponse(request, "accounts/password_issued.html",
                                    {"target": done.obj, "password": issued[0]})
    return TemplateResponse(request, "accounts/user_form.html", {"form": form})


@require_http_methods(["GET", "POST"])
@requires("user.view")
def user_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    target = get_user_for(request.user, pk)
    actions.record_user_viewed(actor=request.user, user=target)
    can_manage = target.home_unit is not None and has_capability(
        request.user, "user.manage", target.home_unit)
    grant_form = GrantRoleForm(request.POST or None, viewer=request.user) if can_manage else None
    if request.method == "POST":
        if grant_form is None:
            raise NotInScope("user.manage")
        if grant_form.is_valid():
            try:
                actions.grant_role(actor=request.user, user=target,
                                   role=grant_form.cleaned_data["role"],
                                   unit=grant_form.cleaned_data["unit"])
            except ActionError as exc:
                add_to_form(grant_form, exc)
            except NotInScope:
                grant_form.add_error("unit", _("You cannot grant roles at that unit."))
            else:
                messages.success(request, _("The role has been granted."))
                return redirect("accounts:user_detail", pk=target.pk)
    history = RoleAssignment.objects.filter(user=target).select_related(
        "unit", "granted_by", "revoked_by").order_by("-granted_at")
    return TemplateResponse(request, "accounts/user_detail.html", {
        "target": target, "history": history, "grant_form": grant_form,
        "can_manage": can_manage,
        "can_reset": can_manage and actions.can_reset_password(request.user, target),
    })


@require_POST
@requires("user.manage")
def role_revoke(request: AuthedRequest, pk: int, assignment_pk: int) -> HttpResponse:
    target = get_user_for(request.user, pk)
    assignment = RoleAssignment.objects.filter(user=target, pk=assignment_pk).first()
    if assignment is None:
        raise NotInScope("assignment")
    try:
        actions.revoke_role(actor=request.user, assignment=assignment)
    except ActionError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The role has been revoked."))
    return redirect("accounts:user_detail", pk=target.pk)


@never_cache
@require_POST
@requires("user.manage")
def password_reset(request: AuthedRequest, pk: int) -> HttpResponse:
    target = get_user_for(request.user, pk)
    try:
        password = actions.reset_password(actor=request.user, user=target)
    except ActionError as exc:
        messages.error(request, exc.message)
        return redirect("accounts:user_detail", pk=target.pk)
    return TemplateResponse(request, "accounts/password_issued.html",
                            {"target": target, "password": password, "reset": True})


@never_cache
@require_POST
@requires("user.manage")
def enrolment_code_issue(request: AuthedRequest, pk: int) -> HttpResponse:
    """Issue a one-time code with which the user registers her authenticator app; shown once."""
    target = get_user_for(request.user, pk)
    try:
        code = enrolment.issue_code(actor=request.user, user=target)
    except ActionError as exc:
        messages.error(request, exc.message)
        return redirect("accounts:user_detail", pk=target.pk)
    return TemplateResponse(request, "accounts/enrolment_code_issued.html", {
        "target": target, "code": code,
        "hours": int(settings.CTIP_ENROLMENT_CODE_HOURS)})
