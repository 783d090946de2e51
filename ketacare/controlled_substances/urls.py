from django.urls import path

from ketacare.controlled_substances.views import pages, reports, session, setup

app_name = "controlled_substances"

urlpatterns = [
    path("", pages.safe, name="safe"),
    path("ledger/", pages.ledger, name="ledger"),
    path("count/", pages.count, name="count"),
    path("counts/<int:count_id>/", pages.count_detail, name="count_detail"),
    path("record/<str:kind>/", pages.record, name="record"),
    path("discrepancies/<int:discrepancy_id>/resolve/", pages.resolve, name="resolve"),
    path("loss-reports/<int:report_id>/steps/", pages.loss_step, name="loss_step"),
    path("setup/", setup.setup, name="setup"),
    path("reports/", reports.index, name="reports"),
    path("reports/<str:name>.<str:fmt>", reports.download, name="report"),
    path("sessions/<int:session_id>/draw-up/", session.draw_up, name="draw_up"),
    path("sessions/<int:session_id>/dispose/", session.dispose, name="dispose"),
]
