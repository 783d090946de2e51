from django.contrib.auth import views as auth_views
from django.urls import include, path

from ketacare.config.api import api
from ketacare.config.mounting import page_mounts
from ketacare.core import clinic_views
from ketacare.core import views as core_views
from ketacare.patients import views as patient_views

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
    path("", core_views.home, name="home"),
    path("accounts/login/", core_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/two-factor/", core_views.two_factor, name="two_factor"),
    path("clinic/switch/", core_views.switch_clinic, name="switch_clinic"),
    path("clinic/settings/", clinic_views.clinic_settings, name="clinic_settings"),
    path("clinic/chairs/", clinic_views.chair_add, name="chair_add"),
    path("clinic/chairs/<int:chair_id>/toggle/", clinic_views.chair_toggle, name="chair_toggle"),
    path("intake/<str:token>/", patient_views.intake_by_link, name="intake_by_link"),
    path("portal/", include("ketacare.core.portal_urls")),
    path("api/v1/", api.urls),
    *(path(mount.prefix, include(mount.module)) for mount in page_mounts()),
]
