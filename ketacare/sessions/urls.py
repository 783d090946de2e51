from django.urls import path

from ketacare.sessions import other_views, views

app_name = "sessions"

urlpatterns = [
    path("", other_views.board, name="board"),
    path("board/live/", other_views.board_live, name="board_live"),
    path("protocol/", other_views.protocol, name="protocol"),
    path("at-home/", other_views.at_home_list, name="at_home"),
    path("portal/at-home/", other_views.portal_at_home, name="portal_at_home"),
    path("rems/", other_views.rems_due, name="rems_due"),
    path("rems/enrolment/<int:patient_id>/", other_views.rems_enrolment, name="rems_enrolment"),
    path(
        "appointments/<int:appointment_id>/check-in/",
        views.appointment_check_in,
        name="appointment_check_in",
    ),
    path("<int:session_id>/", views.session_detail, name="detail"),
    path("<int:session_id>/live/", views.session_live, name="live"),
    path("<int:session_id>/check-in/", views.check_in, name="check_in"),
    path("<int:session_id>/prechecks/", views.prechecks, name="prechecks"),
    path("<int:session_id>/override/", views.override, name="override"),
    path("<int:session_id>/start/", views.start_dosing, name="start"),
    path("<int:session_id>/administration/", views.administration, name="administration"),
    path("<int:session_id>/end-dosing/", views.end_dosing, name="end_dosing"),
    path("<int:session_id>/vitals/", views.vitals, name="vitals"),
    path(
        "<int:session_id>/alerts/<int:alert_id>/acknowledge/",
        views.acknowledge,
        name="acknowledge",
    ),
    path("<int:session_id>/observations/", views.observation, name="observation"),
    path("<int:session_id>/side-effects/", views.side_effect, name="side_effect"),
    path("<int:session_id>/discharge/", views.discharge, name="discharge"),
    path("<int:session_id>/sign/", views.sign, name="sign"),
    path("<int:session_id>/cosign/", views.cosign, name="cosign"),
    path("<int:session_id>/cancel/", views.cancel, name="cancel"),
    path("<int:session_id>/abort/", views.abort, name="abort"),
    path("<int:session_id>/addenda/", views.addendum, name="addendum"),
    path("<int:session_id>/rems/", other_views.rems_form, name="rems_form"),
    path("<int:session_id>/rems/answers/", other_views.rems_answers, name="rems_answers"),
    path("<int:session_id>/rems/submitted/", other_views.rems_submitted, name="rems_submitted"),
    path(
        "<int:session_id>/rems.<str:fmt>",
        other_views.rems_form_export,
        name="rems_export",
    ),
]
