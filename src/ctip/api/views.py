"""The token pages: the list on the profile, create (the token shown once), revoke."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from ctip.accounts.access import signed_in
from ctip.accounts.policy import NotInScope
from ctip.api import tokens
from ctip.api.forms import TokenCreateForm
from ctip.api.models import AccessToken
from ctip.core.errors import ActionError, add_to_form
from ctip.core.idempotency import submit_form_once
from ctip.core.typing import AuthedRequest


@never_cache
@require_http_methods(["GET", "POST"])
@signed_in
def token_create(request: AuthedRequest) -> HttpResponse:
    form = TokenCreateForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        issued: list[tokens.Issued] = []

        def create() -> AccessToken:
            result = tokens.create_token(actor=request.user, user=request.user,
                                         name=form.cleaned_data["name"],
                                         days=form.cleaned_data["days"],
                                         roles=form.cleaned_data["roles"])
            issued.append(result)
            return result.token

        try:
            done = submit_form_once(form, actor=request.user, scope="api.token", create=create)
        except ActionError as exc:
            add_to_form(form, exc)
        else:
            if done.replayed:
                messages.info(request, _("This token had already been created; it was shown "
                                         "only once. If you did not copy it, revoke it and "
                                         "create another."))
                return redirect("accounts:profile")
            return TemplateResponse(request, "api/token_created.html",
                                    {"issued": issued[0]})
    return TemplateResponse(request, "api/token_form.html", {"form": form})


@require_POST
@signed_in
def token_revoke(request: AuthedRequest, pk: int) -> HttpResponse:
    token = AccessToken.objects.filter(pk=pk, user=request.user).first()
    if token is None:
        raise NotInScope("own token")
    tokens.revoke_token(actor=request.user, token=token)
    messages.success(request, _("The token “%(name)s” has been revoked.") % {"name": token.name})
    return redirect("accounts:profile")
