from django.urls import path

from ketacare.sessions.views import at_home, board, protocol, rems, session

app_name = "sessions"

urlpatterns = [
    path("", board.board, name="board"),
    path("board/live/", board.board_live, name="board_live"),
    path("protocol/", protocol.protocol, name="protocol"),
    path("at-home/", at_home.at_home_list, name="at_home"),
    path("portal/at-home/", at_home.portal_at_home, name="portal_at_home"),
    path("rems/", rems.rems_due, name="rems_due"),
    path("rems/enrolment/<int:patient_id>/", rems.rems_enrolment, name="rems_enrolment"),
    path(
        "appointments/<int:appointment_id>/check-in/",
        session.appointment_check_in,
        name="appointment_check_in",
    ),
    path("<int:session_id>/", session.session_detail, name="detail"),
    path("<int:session_id>/live/", session.session_live, name="live"),
    path("<int:session_id>/check-in/", session.check_in, name="check_in"),
    path("<int:session_id>/prechecks/", session.prechecks, name="prechecks"),
    path("<int:session_id>/override/", session.override, name="override"),
    path("<int:session_id>/start/", session.start_dosing, name="start"),
    path("<int:session_id>/administration/", session.administration, name="administration"),
    path("<int:session_id>/end-dosing/", session.end_dosing, name="end_dosing"),
    path("<int:session_id>/vitals/", session.vitals, name="vitals"),
    path(
        "<int:session_id>/alerts/<int:alert_id>/acknowledge/",
        session.acknowledge,
        name="acknowledge",
    ),
    path("<int:session_id>/observations/", session.observation, name="observation"),
    path("<int:session_id>/side-effects/", session.side_effect, name="side_effect"),
    path("<int:session_id>/discharge/", session.discharge, name="discharge"),
    path("<int:session_id>/sign/", session.sign, name="sign"),
    path("<int:session_id>/cosign/", session.cosign, name="cosign"),
    path("<int:session_id>/cancel/", session.cancel, name="cancel"),
    path("<int:session_id>/abort/", session.abort, name="abort"),
    path("<int:session_id>/addenda/", session.addendum, name="addendum"),
    path("<int:session_id>/rems/", rems.rems_form, name="rems_form"),
    path("<int:session_id>/rems/answers/", rems.rems_answers, name="rems_answers"),
    path("<int:session_id>/rems/submitted/", rems.rems_submitted, name="rems_submitted"),
    path("<int:session_id>/rems.<str:fmt>", rems.rems_form_export, name="rems_export"),
]
