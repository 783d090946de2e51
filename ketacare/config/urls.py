from django.contrib.auth import views as auth_views
from django.urls import include, path

from ketacare.config.api import api
from ketacare.config.mounting import page_mounts
from ketacare.core import clinic_views, lockout_views, network_views, staff_views
from ketacare.core import views as core_views
from ketacare.patients import portal_views as patient_portal_views
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
    path("clinic/staff/", staff_views.staff_page, name="staff"),
    path("clinic/staff/<int:user_id>/", staff_views.staff_person, name="staff_person"),
    path(
        "clinic/staff/<int:user_id>/deactivate/",
        staff_views.staff_deactivate_view,
        name="staff_deactivate",
    ),
    path(
        "clinic/staff/<int:user_id>/unlock-sign-in/",
        lockout_views.staff_unlock_sign_in,
        name="staff_unlock_sign_in",
    ),
    path(
        "clinic/staff/invitations/<int:invitation_id>/resend/",
        staff_views.invitation_resend_view,
        name="staff_invitation_resend",
    ),
    path(
        "clinic/staff/invitations/<int:invitation_id>/cancel/",
        staff_views.invitation_cancel_view,
        name="staff_invitation_cancel",
    ),
    path("network/", network_views.network, name="network"),
    path("network/people/<int:user_id>/", network_views.network_person, name="network_person"),
    path(
        "network/people/<int:user_id>/deactivate/",
        network_views.network_deactivate,
        name="network_deactivate",
    ),
    path(
        "network/invitations/<int:invitation_id>/",
        network_views.network_invitation,
        name="network_invitation",
    ),
    path(
        "accounts/invitation/<str:token>/",
        staff_views.invitation_accept_view,
        name="staff_invitation_accept",
    ),
    path("intake/<str:token>/", patient_views.intake_by_link, name="intake_by_link"),
    path(
        "portal/activate/<str:token>/",
        patient_portal_views.portal_activate_view,
        name="portal_activate",
    ),
    path("kiosk/finish/", patient_portal_views.kiosk_finish, name="kiosk_finish"),
    path("kiosk/locked/", patient_portal_views.kiosk_locked, name="kiosk_locked"),
    path("portal/", include("ketacare.core.portal_urls")),
    path("api/v1/", api.urls),
    *(path(mount.prefix, include(mount.module)) for mount in page_mounts()),
]
