"""The intake form without JavaScript: lists of any length (add and remove rows), one pregnancy
question, and a review page that shows questions and answers in words."""

from __future__ import annotations

import pytest

from ketacare.patients.models import IntakeVersion

pytestmark = pytest.mark.django_db


def _url(patient) -> str:
    return f"/patients/{patient.pk}/intake/"


def test_add_a_row_keeps_what_was_typed_and_saves_nothing(client_for, patient):
    nurse = client_for("nurse")
    page = nurse.get(_url(patient)).content.decode()
    assert page.count('name="medications-') == 3  # one blank row: name, dose, class
    added = nurse.post(
        _url(patient),
        {
            "medications-0-name": "sertraline",
            "medications-0-dose": "100 mg",
            "blank-medications": "1",
            "add_row": "medications",
        },
    )
    assert added.status_code == 200
    body = added.content.decode()
    assert 'value="sertraline"' in body
    assert 'name="medications-2-name"' in body  # the filled row and two blank ones
    assert 'name="blank-medications" value="2"' in body
    assert not IntakeVersion.objects.exists()


def test_remove_a_row_without_javascript(client_for, patient):
    nurse = client_for("nurse")
    removed = nurse.post(
        _url(patient),
        {
            "medications-0-name": "sertraline",
            "medications-1-name": "bupropion",
            "remove_row": "medications-0",
        },
    )
    assert removed.status_code == 200
    body = removed.content.decode()
    assert "bupropion" in body and "sertraline" not in body
    assert not IntakeVersion.objects.exists()


def test_any_number_of_medications_and_trials_are_saved(client_for, patient):
    form = {"pregnancy": "not_possible", "no_known_allergies": "on"}
    drugs = ["sertraline", "bupropion", "mirtazapine", "venlafaxine", "lithium", "quetiapine"]
    for i, drug in enumerate(drugs):
        form[f"medications-{i * 3}-name"] = drug  # gaps in numbering (rows removed) are fine
        form[f"antidepressant_trials-{i}-drug"] = drug
        form[f"antidepressant_trials-{i}-outcome"] = "no_response"
    assert client_for("nurse").post(_url(patient), form).status_code == 302
    data = IntakeVersion.objects.get(patient=patient).data
    assert [m["name"] for m in data["medications"]] == drugs
    assert len(data["antidepressant_trials"]) == 6


@pytest.mark.parametrize(
    ("answer", "possible", "pregnant"),
    [
        ("pregnant", "yes", "yes"),
        ("unsure", "yes", "unknown"),
        ("possible", "yes", "no"),
        ("not_possible", "no", "no"),
        ("unknown", "unknown", "unknown"),
    ],
)
def test_pregnancy_is_asked_once_and_stored_as_the_facts_screening_reads(
    client_for, patient, answer, possible, pregnant
):
    nurse = client_for("nurse")
    page = nurse.get(_url(patient)).content.decode()
    assert page.count("Pregnant, or could be pregnant?") == 1
    assert "conditions-pregnant" not in page
    nurse.post(_url(patient), {"pregnancy": answer})
    data = IntakeVersion.objects.get(patient=patient).data
    assert (data["pregnancy_possible"], data["conditions"]["pregnant"]) == (possible, pregnant)
    again = nurse.get(_url(patient)).content.decode()
    assert f'name="pregnancy" value="{answer}" checked' in again


def test_review_shows_questions_and_answers_in_words(client_for, patient, signed_intake):
    nurse = client_for("nurse")
    nurse.post(
        _url(patient),
        {
            "height_cm": "178",
            "weight_kg": "84",
            "pregnancy": "not_possible",
            "no_known_allergies": "on",
            "antidepressant_trials-0-drug": "sertraline",
            "antidepressant_trials-0-outcome": "no_response",
            "antidepressant_trials-0-adequate": "yes",
            "conditions-hypertension": "yes",
            "conditions-hypertension_controlled": "yes",
        },
    )
    page = client_for("prescriber").get(f"/patients/{patient.pk}/intake/v2/").content.decode()
    assert "High blood pressure (hypertension)" in page
    assert "outcome: No response" in page and "no_response" not in page
    assert "Weight (kg)" in page  # what changed, named as the question
    assert "Medical history" in page
    for field_name in ("weight_kg", "antidepressant_trials", "pregnancy_possible"):
        assert f"<li>{field_name}</li>" not in page


@pytest.mark.parametrize(
    ("possible", "pregnant", "choice"),
    [
        ("unknown", "no", "possible"),  # older versions: not pregnant, possibility not asked
        ("no", "unknown", "not_possible"),
        ("unknown", "yes", "pregnant"),
        ("yes", "unknown", "unsure"),
        ("unknown", "unknown", "unknown"),
    ],
)
def test_stored_pregnancy_facts_show_an_answer_that_keeps_them(possible, pregnant, choice):
    from ketacare.patients.intake_labels import pregnancy_choice, pregnancy_facts

    assert (
        pregnancy_choice({"pregnancy_possible": possible, "conditions": {"pregnant": pregnant}})
        == choice
    )
    saved_possible, saved_pregnant = pregnancy_facts(choice)
    # Re-saving never changes what screening concludes: "pregnant" is read unless pregnancy is
    # not possible, and "possible" only while "pregnant" is unknown.
    if possible == "no":
        assert saved_possible == "no"
    else:
        assert saved_pregnant == pregnant
        if pregnant == "unknown":
            assert saved_possible == possible
