from django.urls import path

from ketacare.assessments import patient_views, settings_views, views

app_name = "assessments"

urlpatterns = [
    path("", views.due_list, name="due"),
    path("patients/<int:patient_id>/", views.patient_measures, name="patient"),
    path("patients/<int:patient_id>/enter/<str:code>/", views.response_enter, name="enter"),
    path("patients/<int:patient_id>/plan/", views.plan_edit, name="plan"),
    path("patients/<int:patient_id>/send-link/", views.send_link, name="send_link"),
    path("responses/<int:response_id>/", views.response_detail, name="response"),
    path("responses/<int:response_id>/correct/", views.response_correct, name="correct"),
    path("rules/", settings_views.rules_list, name="rules"),
    path("rules/new/", settings_views.rule_new, name="rule_new"),
    path("rules/<int:rule_id>/", settings_views.rule_edit, name="rule_edit"),
    path("settings/", settings_views.settings_edit, name="settings"),
    path("wording/", settings_views.wording_page, name="wording"),
    path("wording/<int:wording_id>/retire/", settings_views.wording_retire, name="wording_retire"),
    path("portal/", patient_views.portal_list, name="portal"),
    path("portal/<str:code>/", patient_views.portal_answer, name="portal_answer"),
    path("q/<str:token>/", patient_views.by_link, name="by_link"),
]
