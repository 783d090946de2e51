from django.urls import path

from ketacare.scheduling import views, views_booking, views_clinic, views_patient

app_name = "scheduling"

urlpatterns = [
    path("", views.calendar_page, name="calendar"),
    path("day-sheet/", views.day_sheet, name="day_sheet"),
    path("appointments/<int:appointment_id>/", views.appointment_page, name="appointment"),
    path(
        "appointments/<int:appointment_id>/move/", views.appointment_move, name="appointment_move"
    ),
    path(
        "appointments/<int:appointment_id>/cancel/",
        views.appointment_cancel,
        name="appointment_cancel",
    ),
    path(
        "appointments/<int:appointment_id>/no-show/",
        views.appointment_no_show,
        name="appointment_no_show",
    ),
    path("courses/<int:course_id>/book/", views_booking.book, name="book"),
    path("patients/<int:patient_id>/preferences/", views_booking.preferences, name="preferences"),
    path("resources/", views_clinic.resources_page, name="resources"),
    path("resources/save/", views_clinic.resources_save, name="resources_save"),
    path("waitlist/", views_clinic.waitlist_page, name="waitlist"),
    path("outbox/", views_clinic.outbox, name="outbox"),
    path("feeds/", views_clinic.feeds_page, name="feeds"),
    path("feeds/<str:token>.ics", views_patient.feed_ics, name="feed_ics"),
    path("offers/<str:token>/", views_patient.offer_page, name="offer"),
    path("r/<str:token>/", views_patient.reminder_page, name="reminder"),
    path("portal/", views_patient.portal_appointments, name="portal"),
    path("portal/appointments.ics", views_patient.portal_ics, name="portal_ics"),
    path(
        "portal/appointments/<int:appointment_id>.ics",
        views_patient.portal_ics,
        name="portal_ics_one",
    ),
    path(
        "portal/appointments/<int:appointment_id>/change/",
        views_patient.portal_change_request,
        name="portal_change",
    ),
]
