import Foundation
import Testing
import TurkModel
import TurkStore
@testable import TurkLocal

@Suite struct LocalQualificationTests {}

// MARK: - Qualification types

extension LocalQualificationTests {
    @Test func nameIsUnique() async throws {
        let fixture = try Fixture()
        let request = CreateQualificationTypeRequest(
            name: "turkchat soft block", description: "Workers kept out of turkchat tasks.",
            qualificationTypeStatus: .active)
        let created = try #require(try await fixture.market.createQualificationType(request).qualificationType)
        #expect(created.name == "turkchat soft block")
        #expect(created.qualificationTypeId?.count == 30)
        #expect(created.qualificationTypeStatus == .active)
        #expect(created.isRequestable == false)

        let error = await mturkError { _ = try await fixture.market.createQualificationType(request) }
        #expect(error?.message.contains("must be unique") == true)
    }

    @Test func queryMatchesPartOfTheName() async throws {
        let fixture = try Fixture()
        for name in ["turkchat soft block", "turkchat max time", "other project"] {
            _ = try await fixture.market.createQualificationType(
                CreateQualificationTypeRequest(name: name, description: "d", qualificationTypeStatus: .active))
        }

        let owned = try await fixture.market.allQualificationTypes(query: "TURKCHAT")
        #expect(owned.compactMap(\.name) == ["turkchat soft block", "turkchat max time"])
        let everything = try await fixture.market.listQualificationTypes(
            ListQualificationTypesRequest(mustBeRequestable: false, mustBeOwnedByCaller: false, maxResults: 100))
        #expect(everything.qualificationTypes?.contains { $0.qualificationTypeId == SystemQualification.locale } == true)
        #expect(everything.numResults == 3 + LocalMarketplace.systemQualificationTypes.count)
        let requestable = try await fixture.market.listQualificationTypes(
            ListQualificationTypesRequest(mustBeRequestable: true))
        #expect(requestable.qualificationTypes?.isEmpty == true)
    }

    @Test func qualificationTypesPage() async throws {
        let fixture = try Fixture()
        for index in 0..<7 {
            _ = try await fixture.market.createQualificationType(
                CreateQualificationTypeRequest(name: "q\(index)", description: "d", qualificationTypeStatus: .active))
        }
        let first = try await fixture.market.listQualificationTypes(
            ListQualificationTypesRequest(mustBeRequestable: false, mustBeOwnedByCaller: true, maxResults: 5))
        let second = try await fixture.market.listQualificationTypes(ListQualificationTypesRequest(
            mustBeRequestable: false, mustBeOwnedByCaller: true, nextToken: first.nextToken, maxResults: 5))
        #expect(first.numResults == 5)
        #expect(second.qualificationTypes?.compactMap(\.name) == ["q5", "q6"])
        #expect(second.nextToken == nil)
    }

    @Test func autoGrantedTypeCannotHaveATest() async throws {
        let fixture = try Fixture()
        let error = await mturkError {
            _ = try await fixture.market.createQualificationType(CreateQualificationTypeRequest(
                name: "q", description: "d", qualificationTypeStatus: .active, test: "<QuestionForm/>",
                testDurationInSeconds: 60, autoGranted: true))
        }
        #expect(error?.code == "RequestError")
    }
}

// MARK: - Workers with a qualification

extension LocalQualificationTests {
    @Test func grantRevokeAndList() async throws {
        let fixture = try Fixture()
        let typeId = try #require(try await fixture.market.createQualificationType(
            CreateQualificationTypeRequest(name: "soft block", description: "d", qualificationTypeStatus: .active))
            .qualificationType?.qualificationTypeId)
        for worker in ["AONE", "ATWO", "ATHREE"] {
            _ = try await fixture.market.associateQualificationWithWorker(
                AssociateQualificationWithWorkerRequest(qualificationTypeId: typeId, workerId: worker, integerValue: 7))
        }
        _ = try await fixture.market.disassociateQualificationFromWorker(
            DisassociateQualificationFromWorkerRequest(workerId: "ATWO", qualificationTypeId: typeId, reason: "appeal"))

        let granted = try await fixture.market.allWorkers(withQualificationType: typeId)
        #expect(granted.compactMap(\.workerId) == ["AONE", "ATHREE"])
        #expect(granted.first?.integerValue == 7)
        #expect(granted.first?.status == .granted)
        let revoked = try await fixture.market.allWorkers(withQualificationType: typeId, status: .revoked)
        #expect(revoked.compactMap(\.workerId) == ["ATWO"])

        let twice = await mturkError {
            _ = try await fixture.market.disassociateQualificationFromWorker(
                DisassociateQualificationFromWorkerRequest(workerId: "ATWO", qualificationTypeId: typeId))
        }
        #expect(twice?.code == "RequestError")

        // Granting again restores the qualification.
        _ = try await fixture.market.associateQualificationWithWorker(
            AssociateQualificationWithWorkerRequest(qualificationTypeId: typeId, workerId: "ATWO"))
        #expect(try await fixture.market.allWorkers(withQualificationType: typeId).count == 3)
    }

    @Test func unknownTypeCannotBeGranted() async throws {
        let fixture = try Fixture()
        let error = await mturkError {
            _ = try await fixture.market.associateQualificationWithWorker(
                AssociateQualificationWithWorkerRequest(qualificationTypeId: "3NOSUCHTYPE", workerId: "AWORKER"))
        }
        #expect(error?.isNotFound == true)
        let badWorker = await mturkError {
            _ = try await fixture.market.associateQualificationWithWorker(
                AssociateQualificationWithWorkerRequest(qualificationTypeId: "3NOSUCHTYPE", workerId: "worker"))
        }
        #expect(badWorker?.code == "ValidationException")
    }
}

// MARK: - Worker blocks

extension LocalQualificationTests {
    @Test func blocksAreIdempotentAndPaged() async throws {
        let fixture = try Fixture()
        for index in 0..<12 {
            _ = try await fixture.market.createWorkerBlock(CreateWorkerBlockRequest(workerId: "AW\(index)", reason: "r"))
        }
        _ = try await fixture.market.createWorkerBlock(CreateWorkerBlockRequest(workerId: "AW0", reason: "new reason"))
        _ = try await fixture.market.deleteWorkerBlock(DeleteWorkerBlockRequest(workerId: "ANEVERBLOCKED"))
        _ = try await fixture.market.deleteWorkerBlock(DeleteWorkerBlockRequest(workerId: "AW1"))

        let blocks = try await fixture.market.allWorkerBlocks()
        #expect(blocks.count == 11)
        #expect(blocks.first == WorkerBlock(workerId: "AW0", reason: "new reason"))
        let page = try await fixture.market.listWorkerBlocks(ListWorkerBlocksRequest(maxResults: 10))
        #expect(page.numResults == 10)
        #expect(page.nextToken != nil)
        let noReason = await mturkError {
            _ = try await fixture.market.createWorkerBlock(CreateWorkerBlockRequest(workerId: "AW99", reason: ""))
        }
        #expect(noReason?.code == "RequestError")
    }
}

// MARK: - Settings

extension LocalQualificationTests {
    @Test(arguments: [
        ([:] as [String: String], 0.0 as Double?),
        (["TURKCHAT_LOCAL_THROTTLE": ""], 0.0),
        (["TURKCHAT_LOCAL_THROTTLE": "0.3"], 0.3),
        (["TURKCHAT_LOCAL_THROTTLE": " 1 "], 1.0),
        (["TURKCHAT_LOCAL_THROTTLE": "1.5"], nil),
        (["TURKCHAT_LOCAL_THROTTLE": "-0.1"], nil),
        (["TURKCHAT_LOCAL_THROTTLE": "a lot"], nil),
        (["TURKCHAT_LOCAL_THROTTLE": "nan"], nil),
    ])
    func throttleFractionFromEnvironment(_ environment: [String: String], _ expected: Double?) throws {
        if let expected {
            #expect(try LocalMarketplace.throttleFraction(environment: environment) == expected)
        } else {
            #expect(throws: LocalConfigurationError.self) {
                try LocalMarketplace.throttleFraction(environment: environment)
            }
        }
    }

    @Test func throttleErrorNamesVariableAndValue() throws {
        let directory = StateDirectory(url: try makeTemporaryDirectory().appendingPathComponent("state"))
        let error = #expect(throws: LocalConfigurationError.self) {
            try LocalMarketplace(stateDirectory: directory, environment: ["TURKCHAT_LOCAL_THROTTLE": "0,6"])
        }
        #expect(error?.message == "invalid value '0,6' for environment variable TURKCHAT_LOCAL_THROTTLE: expected a "
            + "fraction from 0 to 1, such as 0.3 for 30 % of requests")
        #expect(error?.message.contains("cannot open") == false)
    }

    @Test func stateDirectoryHoldsTheFile() throws {
        let directory = StateDirectory(url: try makeTemporaryDirectory().appendingPathComponent("state"))
        let market = try LocalMarketplace(
            stateDirectory: directory, environment: ["TURKCHAT_LOCAL_THROTTLE": "0.25"])
        #expect(market.throttleFraction == 0.25)
        #expect(FileManager.default.fileExists(atPath: directory.marketplacePath))
    }
}

// MARK: - Schema

extension LocalQualificationTests {
    @Test func newerSchemaIsRejected() throws {
        let fixture = try Fixture()
        try fixture.market.database.execute("PRAGMA user_version = 42")
        fixture.market.close()

        #expect(throws: SchemaVersionError.self) { try LocalMarketplace(path: fixture.path) }
    }

    @Test(arguments: [-0.1, 1.5])
    func throttleFractionOutOfRangeFails(_ fraction: Double) throws {
        let path = try makeTemporaryDirectory().appendingPathComponent("marketplace.sqlite").path
        #expect(throws: LocalConfigurationError.self) { try LocalMarketplace(path: path, throttleFraction: fraction) }
    }
}
