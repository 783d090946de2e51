from django.urls import path

from ketacare.treatment.views import booking, consent, courses, orders, patient, portal, protocol

app_name = "treatment"

urlpatterns = [
    path("patients/<int:patient_id>/", patient.patient_treatment, name="patient"),
    path("patients/<int:patient_id>/screen/", patient.screen, name="screen"),
    path("patients/<int:patient_id>/courses/new/", courses.course_new, name="course_new"),
    path("screenings/<int:screening_id>/", patient.screening_detail, name="screening"),
    path("courses/<int:course_id>/", courses.course_detail, name="course"),
    path("courses/<int:course_id>/phase/", courses.course_phase, name="course_phase"),
    path("courses/<int:course_id>/order/", orders.order_new, name="order_new"),
    path("courses/<int:course_id>/book/", booking.book, name="book"),
    path("courses/<int:course_id>/aftercare/", courses.aftercare_edit, name="aftercare"),
    path("courses/<int:course_id>/rems/", courses.rems_enrol, name="rems"),
    path(
        "courses/<int:course_id>/checklist/<slug:key>/",
        courses.checklist_item,
        name="checklist_item",
    ),
    path("orders/<int:order_id>/sign/", orders.order_sign, name="order_sign"),
    path("orders/<int:order_id>/cancel/", orders.order_cancel, name="order_cancel"),
    path(
        "appointments/<int:appointment_id>/cancel/",
        booking.appointment_cancel,
        name="appointment_cancel",
    ),
    path("schedule/", booking.schedule, name="schedule"),
    path("protocol/", protocol.protocol_page, name="protocol"),
    path("consents/", consent.consent_documents, name="consents"),
    path("consents/publish/", consent.consent_publish, name="consent_publish"),
    path("consents/<int:document_id>/", consent.consent_document, name="consent_document"),
    path(
        "consent-signatures/<int:signature_id>/countersign/",
        consent.consent_countersign,
        name="consent_countersign",
    ),
    path("portal/", portal.plan, name="portal_plan"),
    path("portal/consent/<int:document_id>/", portal.sign_consent, name="portal_consent"),
]
