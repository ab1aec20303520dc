"""Checks that boto3 and the AWS CLI work against the local marketplace's MTurk wire endpoint.

serve-chat serves the endpoint at POST / on the local target. This script drives it as a requester would, with
the local marketplace's documented credentials, and plays the workers through serve-chat's worker-site JSON API
(POST /api/accept) and MTurk's POST /mturk/externalSubmit. Every request goes to the --endpoint-url given, which
must be on 127.0.0.1.

It prints one line per check and closes with "N passed, N failed"; the exit status is 1 when a check failed.
"""

import argparse
import datetime
import json
import os
import subprocess
import sys
import tempfile
import traceback
import urllib.parse
import urllib.request

import boto3
import botocore.config
import botocore.exceptions

LOCAL_KEY_ID = "TURKCHATLOCALKEY"
LOCAL_SECRET = "turkchat-local-secret-access-key"
REGION = "us-east-1"
QUESTION = (
    '<ExternalQuestion xmlns="http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2006-07-14/'
    'ExternalQuestion.xsd"><ExternalURL>http://127.0.0.1/chat</ExternalURL><FrameHeight>600</FrameHeight>'
    "</ExternalQuestion>"
)
PAST = datetime.datetime(2015, 1, 1, tzinfo=datetime.timezone.utc)


def make_client(endpoint, key_id=LOCAL_KEY_ID, secret=LOCAL_SECRET, region=REGION, retries=None):
    """Returns a boto3 MTurk client for the endpoint. retries=None keeps botocore's default retry settings."""
    config = botocore.config.Config(retries=retries) if retries else None
    return boto3.client(
        "mturk", endpoint_url=endpoint, region_name=region, aws_access_key_id=key_id,
        aws_secret_access_key=secret, config=config)


def error_of(call, *args, **kwargs):
    """Calls a client method that must fail and returns botocore's error response."""
    try:
        call(*args, **kwargs)
    except botocore.exceptions.ClientError as error:
        return error.response
    raise AssertionError(f"{call.__name__} succeeded but an error was expected")


def expect(condition, message):
    if not condition:
        raise AssertionError(message)


class Worker:
    """A worker on serve-chat's worker site."""

    def __init__(self, endpoint, worker_id):
        self.endpoint = endpoint.rstrip("/")
        self.worker_id = worker_id

    def accept(self, hit_id):
        body = json.dumps({"hit_id": hit_id, "worker_id": self.worker_id}).encode()
        request = urllib.request.Request(
            self.endpoint + "/api/accept", data=body, method="POST", headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.load(response)["assignment_id"]

    def submit(self, assignment_id, answer):
        form = urllib.parse.urlencode({"assignmentId": assignment_id, "answer": answer}).encode()
        request = urllib.request.Request(
            self.endpoint + "/mturk/externalSubmit", data=form, method="POST",
            headers={"Content-Type": "application/x-www-form-urlencoded"})
        with urllib.request.urlopen(request, timeout=10) as response:
            expect(response.status == 200, f"externalSubmit returned HTTP {response.status}")


class Conformance:
    def __init__(self, endpoint):
        self.endpoint = endpoint
        # One attempt, so that an error the endpoint sends is seen as it is and not retried away.
        self.client = make_client(endpoint, retries={"max_attempts": 1, "mode": "standard"})
        self.run_tag = "conformance-" + datetime.datetime.now().strftime("%H%M%S%f")
        self.hit_type = None

    def create_hit(self, token, max_assignments=1):
        if self.hit_type is None:
            self.hit_type = self.client.create_hit_type(
                AutoApprovalDelayInSeconds=3600, AssignmentDurationInSeconds=600, Reward="0.50",
                Title="Conformance chat", Keywords="chat", Description="A chat for the boto3 conformance check",
            )["HITTypeId"]
        return self.client.create_hit_with_hit_type(
            HITTypeId=self.hit_type, MaxAssignments=max_assignments, LifetimeInSeconds=3600, Question=QUESTION,
            RequesterAnnotation=self.run_tag, UniqueRequestToken=f"{self.run_tag}-{token}",
        )["HIT"]

    def submitted_assignment(self, token, worker_id):
        hit = self.create_hit(token)
        worker = Worker(self.endpoint, worker_id)
        assignment_id = worker.accept(hit["HITId"])
        worker.submit(assignment_id, f"answer from {worker_id}")
        return hit, assignment_id

    # Checks, in the order they run.

    def check_account_balance(self):
        balance = self.client.get_account_balance()
        expect(balance["AvailableBalance"] == "10000.00", f"balance {balance['AvailableBalance']}")
        expect(balance["ResponseMetadata"]["RequestId"], "no x-amzn-RequestId")

    def check_create_and_list(self):
        created = {self.create_hit(f"list-{index}")["HITId"] for index in range(3)}
        listed = set()
        for page in self.client.get_paginator("list_hits").paginate(PaginationConfig={"PageSize": 2}):
            listed |= {hit["HITId"] for hit in page["HITs"] if hit.get("RequesterAnnotation") == self.run_tag}
        expect(created <= listed, f"created {sorted(created)}, listed {sorted(listed)}")
        hit = self.client.get_hit(HITId=next(iter(created)))["HIT"]
        expect(hit["HITStatus"] == "Assignable", f"status {hit['HITStatus']}")
        expect(isinstance(hit["CreationTime"], datetime.datetime), "CreationTime is not a timestamp")

    def check_repeated_token(self):
        hit = self.create_hit("repeat")
        error = error_of(self.create_hit, "repeat")
        expect(error["Error"]["Code"] == "RequestError", f"code {error['Error']['Code']}")
        expect(error.get("TurkErrorCode") == "AWS.MechanicalTurk.HitAlreadyExists", f"TurkErrorCode {error.get('TurkErrorCode')}")
        expect(hit["HITId"] in error["Error"]["Message"], f"message {error['Error']['Message']}")

    def check_approve_reject_and_bonus(self):
        _, approved = self.submitted_assignment("approve", "A1CONFORMAPPROVE")
        hit, rejected = self.submitted_assignment("reject", "A1CONFORMREJECT")
        assignments = self.client.list_assignments_for_hit(HITId=hit["HITId"])["Assignments"]
        expect([a["AssignmentId"] for a in assignments] == [rejected], f"assignments {assignments}")
        expect(assignments[0]["AssignmentStatus"] == "Submitted", "not Submitted")
        expect("answer from A1CONFORMREJECT" in assignments[0]["Answer"], "answer missing")

        self.client.approve_assignment(AssignmentId=approved, RequesterFeedback="thanks")
        self.client.reject_assignment(AssignmentId=rejected, RequesterFeedback="no chat happened")
        status = self.client.get_assignment(AssignmentId=rejected)["Assignment"]["AssignmentStatus"]
        expect(status == "Rejected", f"status {status}")
        again = error_of(self.client.reject_assignment, AssignmentId=approved, RequesterFeedback="late")
        expect(again["Error"]["Code"] == "RequestError", f"code {again['Error']['Code']}")

        bonus = dict(WorkerId="A1CONFORMAPPROVE", BonusAmount="1.25", AssignmentId=approved, Reason="great",
                     UniqueRequestToken=f"{self.run_tag}-bonus")
        self.client.send_bonus(**bonus)
        duplicate = error_of(self.client.send_bonus, **bonus)
        expect(duplicate.get("TurkErrorCode") == "AWS.MechanicalTurk.DuplicateRequest", f"error {duplicate}")
        payments = self.client.list_bonus_payments(AssignmentId=approved)["BonusPayments"]
        expect([p["BonusAmount"] for p in payments] == ["1.25"], f"payments {payments}")

    def check_blocks(self):
        self.client.create_worker_block(WorkerId="A1CONFORMBLOCK", Reason="spam")
        blocks = self.client.list_worker_blocks()["WorkerBlocks"]
        expect({"WorkerId": "A1CONFORMBLOCK", "Reason": "spam"} in blocks, f"blocks {blocks}")
        self.client.delete_worker_block(WorkerId="A1CONFORMBLOCK", Reason="appeal")
        blocks = self.client.list_worker_blocks()["WorkerBlocks"]
        expect(all(b["WorkerId"] != "A1CONFORMBLOCK" for b in blocks), f"blocks {blocks}")

    def check_qualifications(self):
        qualification = self.client.create_qualification_type(
            Name=f"{self.run_tag}-soft-block", Description="soft block", QualificationTypeStatus="Active",
        )["QualificationType"]["QualificationTypeId"]
        self.client.associate_qualification_with_worker(
            QualificationTypeId=qualification, WorkerId="A1CONFORMQUAL", IntegerValue=1, SendNotification=False)
        holders = self.client.list_workers_with_qualification_type(QualificationTypeId=qualification)
        expect([q["WorkerId"] for q in holders["Qualifications"]] == ["A1CONFORMQUAL"], f"holders {holders}")
        types = self.client.list_qualification_types(MustBeRequestable=False, MustBeOwnedByCaller=True,
                                                     Query=self.run_tag)["QualificationTypes"]
        expect([t["QualificationTypeId"] for t in types] == [qualification], f"types {types}")
        self.client.disassociate_qualification_from_worker(QualificationTypeId=qualification, WorkerId="A1CONFORMQUAL")

    def check_expire_and_delete(self):
        hit, assignment = self.submitted_assignment("delete", "A1CONFORMDELETE")
        self.client.update_expiration_for_hit(HITId=hit["HITId"], ExpireAt=PAST)
        unreviewed = error_of(self.client.delete_hit, HITId=hit["HITId"])
        expect(unreviewed["Error"]["Code"] == "RequestError", f"code {unreviewed['Error']['Code']}")
        self.client.approve_assignment(AssignmentId=assignment)
        self.client.delete_hit(HITId=hit["HITId"])
        missing = error_of(self.client.get_hit, HITId=hit["HITId"])
        expect("does not exist" in missing["Error"]["Message"], f"message {missing['Error']['Message']}")

    def check_delete_with_pending_work(self):
        hit = self.create_hit("pending")
        Worker(self.endpoint, "A1CONFORMPENDING").accept(hit["HITId"])
        self.client.update_expiration_for_hit(HITId=hit["HITId"], ExpireAt=PAST)
        error = error_of(self.client.delete_hit, HITId=hit["HITId"])
        expect(error["Error"]["Code"] == "RequestError", f"code {error['Error']['Code']}")
        expect(error["Error"]["Message"].startswith("This HIT is currently in the state 'Unassignable'."),
               f"message {error['Error']['Message']}")
        expect(error["ResponseMetadata"]["HTTPStatusCode"] == 400, "status is not 400")

    def check_create_hit(self):
        hit_type = self.client.create_hit_type(
            AssignmentDurationInSeconds=600, Reward="0.40", Title="Conformance CreateHIT",
            Description="CreateHIT reuses this HIT type")["HITTypeId"]
        arguments = dict(
            MaxAssignments=2, LifetimeInSeconds=3600, AssignmentDurationInSeconds=600, Reward="0.40",
            Title="Conformance CreateHIT", Description="CreateHIT reuses this HIT type", Question=QUESTION,
            RequesterAnnotation=self.run_tag, UniqueRequestToken=f"{self.run_tag}-create-hit")
        hit = self.client.create_hit(**arguments)["HIT"]
        expect(hit["HITTypeId"] == hit_type, f"HIT type {hit['HITTypeId']}, expected {hit_type}")
        expect(hit["MaxAssignments"] == 2, f"MaxAssignments {hit['MaxAssignments']}")
        expect(hit["HITStatus"] == "Assignable", f"status {hit['HITStatus']}")
        error = error_of(self.client.create_hit, **arguments)
        expect(error.get("TurkErrorCode") == "AWS.MechanicalTurk.HitAlreadyExists", f"error {error}")
        expect(hit["HITId"] in error["Error"]["Message"], f"message {error['Error']['Message']}")

    def check_review_status(self):
        hit, _ = self.submitted_assignment("review-status", "A1CONFORMREVIEW")
        hit_id = hit["HITId"]
        reviewable = self.client.list_reviewable_hits(HITTypeId=hit["HITTypeId"], MaxResults=100)["HITs"]
        expect(hit_id in [h["HITId"] for h in reviewable], f"reviewable {[h['HITId'] for h in reviewable]}")
        self.client.update_hit_review_status(HITId=hit_id)
        expect(self.client.get_hit(HITId=hit_id)["HIT"]["HITStatus"] == "Reviewing", "not Reviewing")
        reviewing = self.client.list_reviewable_hits(Status="Reviewing", MaxResults=100)["HITs"]
        expect(hit_id in [h["HITId"] for h in reviewing], "not listed as Reviewing")
        again = error_of(self.client.update_hit_review_status, HITId=hit_id)
        expect(again["Error"]["Message"].startswith("This HIT is currently in the state 'Reviewing'."),
               f"message {again['Error']['Message']}")
        self.client.update_hit_review_status(HITId=hit_id, Revert=True)
        expect(self.client.get_hit(HITId=hit_id)["HIT"]["HITStatus"] == "Reviewable", "not Reviewable again")
        invalid = error_of(self.client.list_reviewable_hits, Status="Assignable")
        expect(invalid["Error"]["Code"] == "ValidationException", f"error {invalid}")

    def check_additional_assignments(self):
        hit = self.create_hit("extend", max_assignments=2)
        token = f"{self.run_tag}-extend"
        self.client.create_additional_assignments_for_hit(
            HITId=hit["HITId"], NumberOfAdditionalAssignments=3, UniqueRequestToken=token)
        expect(self.client.get_hit(HITId=hit["HITId"])["HIT"]["MaxAssignments"] == 5, "MaxAssignments is not 5")
        repeated = error_of(self.client.create_additional_assignments_for_hit, HITId=hit["HITId"],
                            NumberOfAdditionalAssignments=3, UniqueRequestToken=token)
        expect(repeated.get("TurkErrorCode") == "AWS.MechanicalTurk.DuplicateRequest", f"error {repeated}")
        across_ten = error_of(self.client.create_additional_assignments_for_hit, HITId=hit["HITId"],
                              NumberOfAdditionalAssignments=5)
        expect(across_ten.get("TurkErrorCode") == "AWS.MechanicalTurk.InvalidMaximumAssignmentsIncrease",
               f"error {across_ten}")
        expect(self.client.get_hit(HITId=hit["HITId"])["HIT"]["MaxAssignments"] == 5, "MaxAssignments changed")

    def check_notify_workers(self):
        _, assignment = self.submitted_assignment("notify", "A1CONFORMNOTIFY")
        self.client.approve_assignment(AssignmentId=assignment)
        response = self.client.notify_workers(
            Subject="More chats", MessageText="We posted more HITs.", WorkerIds=["A1CONFORMNOTIFY", "A1CONFORMSTRANGER"])
        failures = response["NotifyWorkersFailureStatuses"]
        expect([f["WorkerId"] for f in failures] == ["A1CONFORMSTRANGER"], f"failures {failures}")
        expect(failures[0]["NotifyWorkersFailureCode"] == "HardFailure", f"failures {failures}")
        too_long = error_of(self.client.notify_workers, Subject="s" * 201, MessageText="m", WorkerIds=["A1CONFORMNOTIFY"])
        expect(too_long["Error"]["Code"] == "RequestError", f"error {too_long}")

    def check_qualification_type_lookups(self):
        qualification = self.client.create_qualification_type(
            Name=f"{self.run_tag}-lookup", Description="lookups", QualificationTypeStatus="Active",
        )["QualificationType"]["QualificationTypeId"]
        fetched = self.client.get_qualification_type(QualificationTypeId=qualification)["QualificationType"]
        expect(fetched["Name"] == f"{self.run_tag}-lookup", f"type {fetched}")
        self.client.associate_qualification_with_worker(
            QualificationTypeId=qualification, WorkerId="A1CONFORMSCORE", IntegerValue=5, SendNotification=False)
        score = self.client.get_qualification_score(QualificationTypeId=qualification, WorkerId="A1CONFORMSCORE")
        expect(score["Qualification"]["IntegerValue"] == 5, f"score {score['Qualification']}")
        expect(score["Qualification"]["Status"] == "Granted", f"score {score['Qualification']}")
        expect(isinstance(score["Qualification"]["GrantTime"], datetime.datetime), "GrantTime is not a timestamp")
        self.client.delete_qualification_type(QualificationTypeId=qualification)
        gone = error_of(self.client.get_qualification_type, QualificationTypeId=qualification)
        expect("does not exist" in gone["Error"]["Message"], f"message {gone['Error']['Message']}")

    def check_unimplemented_operation(self):
        error = error_of(self.client.list_qualification_requests)
        expect(error["Error"]["Code"] == "UnknownOperationException", f"code {error['Error']['Code']}")
        expect("docs/local-marketplace.md" in error["Error"]["Message"], f"message {error['Error']['Message']}")

    def check_bad_signature(self):
        forged = make_client(self.endpoint, secret="not-the-local-secret", retries={"max_attempts": 1, "mode": "standard"})
        error = error_of(forged.get_account_balance)
        expect(error["Error"]["Code"] == "InvalidSignatureException", f"code {error['Error']['Code']}")
        expect(error["Error"]["Message"].startswith("The request signature we calculated does not match"),
               f"message {error['Error']['Message']}")
        expect(error["ResponseMetadata"]["HTTPStatusCode"] == 400, "status is not 400")

    def check_unknown_key(self):
        stranger = make_client(self.endpoint, key_id="AKIDSTRANGER", retries={"max_attempts": 1, "mode": "standard"})
        error = error_of(stranger.get_account_balance)
        expect(error["Error"]["Code"] == "UnrecognizedClientException", f"code {error['Error']['Code']}")

    def check_wrong_region(self):
        elsewhere = make_client(self.endpoint, region="us-west-1", retries={"max_attempts": 1, "mode": "standard"})
        error = error_of(elsewhere.get_account_balance)
        expect(error["Error"]["Code"] == "InvalidSignatureException", f"code {error['Error']['Code']}")
        expect("not 'us-west-1'" in error["Error"]["Message"], f"message {error['Error']['Message']}")

    def check_aws_cli(self):
        with tempfile.TemporaryDirectory() as home:
            # The CLI reads nothing from the real ~/.aws and contacts no metadata service.
            environment = dict(
                os.environ, HOME=home, AWS_ACCESS_KEY_ID=LOCAL_KEY_ID, AWS_SECRET_ACCESS_KEY=LOCAL_SECRET,
                AWS_CONFIG_FILE=os.path.join(home, "config"), AWS_SHARED_CREDENTIALS_FILE=os.path.join(home, "creds"),
                AWS_EC2_METADATA_DISABLED="true", AWS_DEFAULT_REGION=REGION, AWS_MAX_ATTEMPTS="1")
            environment.pop("AWS_PROFILE", None)
            environment.pop("AWS_SESSION_TOKEN", None)
            aws = os.path.join(os.path.dirname(sys.executable), "aws")

            def cli(*arguments):
                return subprocess.run([aws, "mturk", *arguments, "--endpoint-url", self.endpoint, "--output", "json"],
                                      env=environment, capture_output=True, text=True, timeout=60)

            balance = cli("get-account-balance")
            expect(balance.returncode == 0, f"get-account-balance failed: {balance.stderr}")
            expect(json.loads(balance.stdout)["AvailableBalance"], "no balance")
            hit = self.create_hit("cli")
            listed = cli("list-hits", "--max-results", "5")
            expect(listed.returncode == 0, f"list-hits failed: {listed.stderr}")
            expired = cli("update-expiration-for-hit", "--hit-id", hit["HITId"], "--expire-at", "2015-01-01T00:00:00Z")
            expect(expired.returncode == 0, f"update-expiration-for-hit failed: {expired.stderr}")
            status = json.loads(cli("get-hit", "--hit-id", hit["HITId"]).stdout)["HIT"]["HITStatus"]
            expect(status == "Reviewable", f"status {status}")
            created = cli("create-hit", "--title", "CLI CreateHIT", "--description", "made by the AWS CLI",
                          "--reward", "0.25", "--lifetime-in-seconds", "3600",
                          "--assignment-duration-in-seconds", "600", "--question", QUESTION)
            expect(created.returncode == 0, f"create-hit failed: {created.stderr}")
            expect(json.loads(created.stdout)["HIT"]["Title"] == "CLI CreateHIT", f"stdout {created.stdout}")
            deleted = cli("delete-hit", "--hit-id", hit["HITId"])
            expect(deleted.returncode == 0, f"delete-hit failed: {deleted.stderr}")
            missing = cli("get-hit", "--hit-id", hit["HITId"])
            expect(missing.returncode != 0, "get-hit of a deleted HIT succeeded")
            expect("RequestError" in missing.stderr and "does not exist" in missing.stderr, f"stderr {missing.stderr}")

    def checks(self):
        return [getattr(self, name) for name in dir(self) if name.startswith("check_")]


def throttled_creates(endpoint, count):
    """With the endpoint throttling a share of requests, botocore's retries must create each HIT exactly once."""
    client = make_client(endpoint, retries={"max_attempts": 20, "mode": "standard"})
    tag = "throttled-" + datetime.datetime.now().strftime("%H%M%S%f")
    hit_type = client.create_hit_type(
        AssignmentDurationInSeconds=600, Reward="0.10", Title="Throttled", Description="Throttle check")["HITTypeId"]
    created = set()
    retried = 0
    for index in range(count):
        response = client.create_hit_with_hit_type(
            HITTypeId=hit_type, LifetimeInSeconds=3600, Question=QUESTION, RequesterAnnotation=tag,
            UniqueRequestToken=f"{tag}-{index}")
        created.add(response["HIT"]["HITId"])
        retried += response["ResponseMetadata"]["RetryAttempts"]
    listed = []
    for page in client.get_paginator("list_hits").paginate():
        listed += [hit["HITId"] for hit in page["HITs"] if hit.get("RequesterAnnotation") == tag]
    expect(len(created) == count, f"{len(created)} distinct HITs for {count} creates")
    expect(sorted(listed) == sorted(created), f"listed {len(listed)} HITs, created {len(created)}")
    expect(retried > 0, "no request was throttled; is TURKCHAT_LOCAL_THROTTLE set for serve-chat?")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoint-url", required=True, help="serve-chat's URL, such as http://127.0.0.1:8080")
    parser.add_argument("--throttled", type=int, metavar="COUNT",
                        help="only create COUNT HITs against an endpoint that throttles, and check for duplicates")
    arguments = parser.parse_args()
    host = urllib.parse.urlsplit(arguments.endpoint_url).hostname
    if host not in ("127.0.0.1", "localhost"):
        parser.error(f"--endpoint-url must be on 127.0.0.1, not {host}")

    if arguments.throttled:
        checks = [("throttled_creates", lambda: throttled_creates(arguments.endpoint_url, arguments.throttled))]
    else:
        checks = [(check.__name__, check) for check in Conformance(arguments.endpoint_url).checks()]

    passed = failed = 0
    for name, check in checks:
        try:
            check()
        except Exception:
            failed += 1
            print(f"FAIL {name}")
            traceback.print_exc()
        else:
            passed += 1
            print(f"ok   {name}")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
