"""Task 4's Optuna study without a database server or training: storage URLs and their passwords,
a worker with nothing left to take, a point that keeps crashing, two workers popping one trial."""

import optuna
import pytest
import sqlalchemy
from optuna.trial import TrialState

from recognition import cli
from recognition.experiments import sweep

pytestmark = pytest.mark.filterwarnings("ignore::optuna.exceptions.ExperimentalWarning")


def test_postgresql_url_uses_psycopg_3_and_passwords_are_masked():
    """Probes 4 and 6: the README's plain postgresql:// URL needs no psycopg2; no password is shown."""
    engine = sqlalchemy.create_engine("postgresql://user:secret@localhost:1/optuna")
    assert engine.dialect.driver == "psycopg"
    masked = sweep.mask_url("postgresql://user:secret@dbhost:5432/optuna")
    assert "secret" not in masked and "user" in masked and "dbhost" in masked
    assert "secret" not in sweep.mask_url("not a url://user:secret@host")


def test_storage_that_cannot_be_reached_is_one_line_without_the_password():
    with pytest.raises(cli.UserError) as err:
        sweep.open_storage("postgresql://user:secret@127.0.0.1:1/optuna")
    assert "secret" not in str(err.value) and "127.0.0.1" in str(err.value)


@pytest.mark.filterwarnings("ignore:Heartbeat of storage")  # ask() outside optimize, on purpose
def test_worker_with_nothing_to_take_says_who_holds_the_rest(tmp_path):
    """Probe 5: the worker that finishes first used to exit 1 while another trained the last point."""
    url = f"sqlite:///{tmp_path / 's.db'}"
    points = [{"batch_size": 32}, {"batch_size": 64}]
    study = sweep.open_study(url, "s", {"grid": 1}, points)
    held = study.ask()  # another worker's trial, popped from the queue and still running
    held.set_user_attr("worker", "elsewhere:1")
    said = []
    done = sweep.run_worker(study, points, lambda point, trial: 1.0, wait=False, log=said.append)
    assert done is False and "elsewhere:1" in said[0]
    study.tell(held, 1.0)
    assert sweep.run_worker(study, points, lambda point, trial: 1.0, wait=False) is True
    assert len(study.get_trials(states=(TrialState.COMPLETE,))) == 2


@pytest.mark.filterwarnings("ignore:Heartbeat of storage")
def test_a_point_that_keeps_crashing_is_given_up_with_its_error(tmp_path):
    url = f"sqlite:///{tmp_path / 's.db'}"
    points = [{"batch_size": 32}]
    study = sweep.open_study(url, "s", {"grid": 1}, points)
    for attempt in range(sweep.MAX_RETRY + 1):
        if attempt:
            study.enqueue_trial(points[0], user_attrs={"point": sweep.point_key(points[0])})
        trial = study.ask()
        trial.set_user_attr("error", "ValueError: broken")
        study.tell(trial, state=TrialState.FAIL)
    with pytest.raises(cli.UserError, match="failed 4 times, last: ValueError: broken"):
        sweep.run_worker(study, points, lambda point, trial: 1.0, wait=False)


def test_two_workers_popping_the_same_trial_is_harmless(tmp_path):
    """SQLite has no row locks: two workers popping at the same moment can take one trial. The one
    that finishes second finds it complete and moves on instead of crashing."""
    url = f"sqlite:///{tmp_path / 's.db'}"
    points = [{"batch_size": 32}]
    study = sweep.open_study(url, "s", {"grid": 1}, points)
    other = optuna.load_study(study_name="s", storage=url)

    def train_while_another_finishes(point, trial):
        other.tell(trial.number, 0.5)  # the other worker, faster, completes the same trial
        trial.set_user_attr("members", [])  # this worker's next epoch record
        return 0.5

    said = []
    assert sweep.run_worker(study, points, train_while_another_finishes, wait=False, log=said.append)
    assert "another worker finished" in said[0]
    assert [t.state for t in study.trials] == [TrialState.COMPLETE]
