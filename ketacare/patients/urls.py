from django.urls import path

from ketacare.patients import merge_views, portal_views, views

app_name = "patients"

urlpatterns = [
    path("", views.patient_list, name="list"),
    path("new/", views.patient_register, name="register"),
    path("<int:patient_id>/", views.patient_detail, name="detail"),
    path("<int:patient_id>/edit/", views.patient_edit, name="edit"),
    path("<int:patient_id>/intake/", views.intake_edit, name="intake_edit"),
    path("<int:patient_id>/intake/send-link/", views.intake_send_link, name="intake_send_link"),
    path("<int:patient_id>/intake/v<int:number>/", views.intake_review, name="intake_review"),
    path(
        "<int:patient_id>/portal-invitation/",
        portal_views.portal_invite_view,
        name="portal_invite",
    ),
    path("<int:patient_id>/kiosk/", portal_views.kiosk_start_view, name="kiosk_start"),
    path("portal/intake/", portal_views.portal_intake, name="portal_intake"),
    path("<int:patient_id>/merge/", merge_views.merge_into, name="merge"),
    path("merges/<int:merge_id>/", merge_views.merge_detail, name="merge_detail"),
    path("merges/<int:merge_id>/undo/", merge_views.merge_undo, name="merge_undo"),
]
