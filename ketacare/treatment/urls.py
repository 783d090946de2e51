from django.urls import path

from ketacare.treatment import booking_views, portal_views, protocol_views, views

app_name = "treatment"

urlpatterns = [
    path("patients/<int:patient_id>/", views.patient_treatment, name="patient"),
    path("patients/<int:patient_id>/screen/", views.screen, name="screen"),
    path("patients/<int:patient_id>/courses/new/", views.course_new, name="course_new"),
    path("screenings/<int:screening_id>/", views.screening_detail, name="screening"),
    path("courses/<int:course_id>/", views.course_detail, name="course"),
    path("courses/<int:course_id>/phase/", views.course_phase, name="course_phase"),
    path("courses/<int:course_id>/order/", views.order_new, name="order_new"),
    path("courses/<int:course_id>/book/", booking_views.book, name="book"),
    path("courses/<int:course_id>/aftercare/", views.aftercare_edit, name="aftercare"),
    path("courses/<int:course_id>/rems/", views.rems_enrol, name="rems"),
    path(
        "courses/<int:course_id>/checklist/<slug:key>/",
        views.checklist_item,
        name="checklist_item",
    ),
    path("orders/<int:order_id>/sign/", views.order_sign, name="order_sign"),
    path("orders/<int:order_id>/cancel/", views.order_cancel, name="order_cancel"),
    path(
        "appointments/<int:appointment_id>/cancel/",
        booking_views.appointment_cancel,
        name="appointment_cancel",
    ),
    path("schedule/", booking_views.schedule, name="schedule"),
    path("protocol/", protocol_views.protocol_page, name="protocol"),
    path("protocol/set/", protocol_views.protocol_set, name="protocol_set"),
    path("consents/", protocol_views.consent_documents, name="consents"),
    path("consents/publish/", protocol_views.consent_publish, name="consent_publish"),
    path("consents/<int:document_id>/", protocol_views.consent_document, name="consent_document"),
    path(
        "consent-signatures/<int:signature_id>/countersign/",
        protocol_views.consent_countersign,
        name="consent_countersign",
    ),
    path("portal/", portal_views.plan, name="portal_plan"),
    path("portal/consent/<int:document_id>/", portal_views.sign_consent, name="portal_consent"),
]
