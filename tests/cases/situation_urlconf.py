"""The project's URLs with the ``cases`` namespace mounted, for as long as the root URLconf
does not mount it yet (``path("cases/", include("ctip.cases.urls"))``). Once it does, this
module is the root URLconf unchanged and can be deleted together with the ``urls`` marks."""

from django.urls import include, path

from ctip import urls as root

urlpatterns = list(root.urlpatterns)
if not any(getattr(p, "namespace", None) == "cases" for p in urlpatterns):
    urlpatterns.append(path("cases/", include("ctip.cases.urls")))
