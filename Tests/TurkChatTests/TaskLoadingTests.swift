import Foundation
import Testing
@testable import TurkChat

@Suite struct SQuADDatasetTests {
    /// Real SQuAD files kept for these tests, each with its provenance and license.
    let sharedData = repositoryRoot.appendingPathComponent("Tests/Fixtures")

    func write(_ text: String) throws -> URL {
        let url = try makeTemporaryDirectory().appendingPathComponent("squad.json")
        try Data(text.utf8).write(to: url)
        return url
    }

    @Test func shippedSubsetLoads() throws {
        let dataset = try SQuADDataset.load(
            file: qaTaskDirectory.appendingPathComponent("data/squad-v1.1-dev-subset.json"))
        #expect(dataset.version == "1.1")
        #expect(dataset.paragraphs.count == 103)
        #expect(dataset.paragraphs.first?.title == "Super_Bowl_50")
        #expect(dataset.paragraphs.first?.context.hasPrefix("Super Bowl 50 was an American football game") == true)
    }

    @Test func version2FileLoads() throws {
        let file = sharedData.appendingPathComponent("squad-v2-haystack-small/small.json")
        try #require(FileManager.default.fileExists(atPath: file.path), "test fixture missing at \(file.path)")
        let dataset = try SQuADDataset.load(file: file)
        #expect(dataset.version == "v2.0")
        #expect(dataset.paragraphs.count == 87)
        #expect(dataset.paragraphs.contains { $0.context.contains("Norðmaðr") })
    }

    @Test func flatLayoutIsRejected() throws {
        let file = sharedData.appendingPathComponent("squad-hf-flat-sample/sample.json")
        try #require(FileManager.default.fileExists(atPath: file.path), "test fixture missing at \(file.path)")
        let error = #expect(throws: SQuADError.self) { try SQuADDataset.load(file: file) }
        #expect(error?.location == "data[0]")
        #expect(error?.description.contains("flat layout") == true)
        #expect(error?.description.contains(file.path) == true)
    }

    @Test func missingFileIsNamed() throws {
        let file = URL(fileURLWithPath: "/nonexistent/squad.json")
        let error = #expect(throws: SQuADError.self) { try SQuADDataset.load(file: file) }
        #expect(error?.description == "/nonexistent/squad.json: the file does not exist")
    }

    @Test func truncatedJSONReportsWhereParsingFailed() throws {
        let file = try write("{\"version\": \"1.1\", \"data\": [{\"title\": \"A\", \"paragraphs\": [{\"context\": \"x\"")
        let error = #expect(throws: SQuADError.self) { try SQuADDataset.load(file: file) }
        #expect(error?.message.hasPrefix("invalid JSON") == true)
        #expect(error?.description.contains(file.path) == true)
    }

    @Test(arguments: [
        ("[1, 2]", nil as String?, "the top level must be a JSON object"),
        ("{\"version\": \"1.1\"}", nil, "missing the \"data\" array"),
        ("{\"data\": [{\"title\": \"A\"}]}", "data[0]", "missing the \"paragraphs\" array"),
        ("{\"data\": [{\"title\": \"A\", \"paragraphs\": [{\"qas\": []}]}]}", "data[0].paragraphs[0]",
         "missing the \"context\" string"),
        ("{\"data\": [{\"title\": \"A\", \"paragraphs\": [{\"context\": \"  \"}]}]}", "data[0].paragraphs[0].context",
         "the context is empty"),
        ("{\"data\": []}", nil, "the file contains no paragraphs"),
        ("", nil, "the file is empty"),
    ])
    func malformedStructureIsLocated(text: String, location: String?, message: String) throws {
        let file = try write(text)
        let error = #expect(throws: SQuADError.self) { try SQuADDataset.load(file: file) }
        #expect(error?.location == location)
        #expect(error?.message.hasPrefix(message) == true, "\(String(describing: error))")
    }
}

@Suite struct TaskDefinitionTests {
    func taskDirectory(_ json: String, data: String? = nil) throws -> URL {
        let directory = try makeTemporaryDirectory().appendingPathComponent("my_task")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try Data(json.utf8).write(to: directory.appendingPathComponent("task.json"))
        if let data { try Data(data.utf8).write(to: directory.appendingPathComponent("data.json")) }
        return directory
    }

    let validTask = """
    {"title": "T", "description": "D", "reward": "0.25", "kind": "qa_data_collection",
     "data_file": "data.json", "agent_ids": ["Worker"]}
    """

    @Test func shippedQATaskValidates() throws {
        let task = try TaskDefinition.validate(directory: qaTaskDirectory)
        #expect(task.name == "qa_data_collection")
        #expect(task.agentIds == ["Worker"])
        #expect(task.reward == "0.50")
        #expect(task.settings["system_name"]?.stringValue == "QA Collector")
    }

    @Test func defaultsApply() throws {
        let task = try TaskDefinition.load(directory: taskDirectory(validTask))
        #expect(task.assignmentDurationSeconds == 1800)
        #expect(task.idleTimeoutSeconds == 600)
        #expect(task.onboarding == false)
        #expect(task.dataFile?.lastPathComponent == "data.json")
    }

    @Test func taskDataNamesDataFileRelatively() throws {
        let task = try TaskRegistry.prepare(try TaskDefinition.load(directory: qaTaskDirectory))
        let taskData = task.makeTaskData()
        #expect(taskData["data_file"]?.stringValue == "data/squad-v1.1-dev-subset.json")
        #expect(taskData.jsonText.contains(repositoryRoot.path) == false)
    }

    @Test func dataFileOutsideTaskIsRelative() throws {
        let directory = try taskDirectory(validTask.replacingOccurrences(of: "\"data.json\"", with: "\"/srv/data/squad.json\""))
        let task = try TaskDefinition.load(directory: directory)
        let relative = try #require(task.dataFileRelativePath)
        #expect(relative.hasSuffix("../srv/data/squad.json"), "\(relative)")
        #expect(!relative.hasPrefix("/"))
        let resolved = directory.appendingPathComponent(relative).standardizedFileURL.path
        #expect(resolved == "/srv/data/squad.json")
    }

    @Test func missingDataFileFailsValidation() throws {
        let directory = try taskDirectory(validTask)
        let error = #expect(throws: SQuADError.self) { try TaskDefinition.validate(directory: directory) }
        #expect(error?.message == "the file does not exist")
    }

    @Test func flatDataFailsValidation() throws {
        let directory = try taskDirectory(validTask, data: "{\"data\": [{\"id\": \"1\", \"question\": \"q\", \"context\": \"c\"}]}")
        let error = #expect(throws: SQuADError.self) { try TaskDefinition.validate(directory: directory) }
        #expect(error?.location == "data[0]")
    }

    @Test(arguments: [
        (#"{"title": "T"}"#, "missing \"kind\""),
        (#"{"title": "T", "description": "D", "reward": "0.9752", "kind": "qa_data_collection", "agent_ids": ["W"]}"#,
         "invalid reward \"0.9752\""),
        (#"{"title": "T", "description": "D", "reward": "$1", "kind": "qa_data_collection", "agent_ids": ["W"]}"#,
         "invalid reward \"$1\""),
        (#"{"title": "T", "description": "D", "reward": "1", "kind": "poetry", "agent_ids": ["W"]}"#,
         "unknown task kind \"poetry\""),
        (#"{"title": "T", "description": "D", "reward": "1", "kind": "qa_data_collection", "agent_id": ["W"]}"#,
         "unknown key \"agent_id\""),
        (#"{"title": "T", "description": "D", "reward": "1", "kind": "qa_data_collection", "agent_ids": []}"#,
         "\"agent_ids\" must list one or more distinct role names"),
        ("not json", "invalid JSON"),
    ])
    func invalidTaskFileIsReported(json: String, message: String) throws {
        let directory = try taskDirectory(json)
        let error = #expect(throws: TaskDefinitionError.self) { try TaskDefinition.load(directory: directory) }
        #expect(error?.message.hasPrefix(message) == true, "\(String(describing: error))")
        #expect(error?.file.hasSuffix("my_task/task.json") == true)
    }

    // Int(1e20) traps, so each of these once stopped create-hits and serve-chat with a fatal error.
    @Test(arguments: [
        ("idle_timeout_seconds", "1e20", "from 5 to 86400"),
        ("lifetime_seconds", "1e20", "from 30 to 31536000"),
        ("auto_approval_delay_seconds", "-1e19", "from 0 to 2592000"),
        ("reconnect_grace_seconds", "-1e20", "from 1 to 3600"),
        ("assignment_duration_seconds", "1.5", "from 30 to 31536000"),
        ("idle_timeout_seconds", "\"600\"", "from 5 to 86400"),
    ])
    func numberOutOfRangeIsReported(key: String, value: String, range: String) throws {
        let json = validTask.replacingOccurrences(of: "{", with: "{\"\(key)\": \(value), ")
        let directory = try taskDirectory(json)
        let error = #expect(throws: TaskDefinitionError.self) { try TaskDefinition.load(directory: directory) }
        let message = error?.message ?? ""
        #expect(error?.file.hasSuffix("my_task/task.json") == true)
        #expect(message.contains("\"\(key)\""), "\(message)")
        #expect(message.contains(range), "\(message)")
        // Swift writes large Doubles with an explicit exponent sign.
        let shownForms = ["1e20": "1e+20", "-1e19": "-1e+19", "-1e20": "-1e+20"]
        #expect(message.contains(shownForms[value] ?? value), "\(message)")
    }

    @Test func botTimeoutOutOfRangeIsReported() throws {
        let json = #"""
        {"title": "T", "description": "D", "reward": "0.25", "kind": "multi_agent_dialog", "agent_ids": ["A"],
         "settings": {"bots": [{"command": ["true"], "timeout_seconds": 1e300}]}}
        """#
        let directory = try taskDirectory(json)
        let error = #expect(throws: TaskDefinitionError.self) { try TaskDefinition.validate(directory: directory) }
        #expect(error?.message.contains("\"timeout_seconds\" 1e+300") == true, "\(String(describing: error))")
        #expect(error?.message.contains("from 1 to 3600") == true)
    }

    @Test func missingTaskFileIsReported() throws {
        let directory = try makeTemporaryDirectory()
        let error = #expect(throws: TaskDefinitionError.self) { try TaskDefinition.load(directory: directory) }
        #expect(error?.message.contains("missing or unreadable") == true)
    }
}
