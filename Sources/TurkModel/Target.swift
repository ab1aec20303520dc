import Foundation

/// The marketplace that the tools send their calls to.
public enum Target: String, Sendable, CaseIterable, Codable {
    /// The offline marketplace in the state directory's `marketplace.sqlite`. No account, no money.
    case local
    /// MTurk's requester sandbox: real API, play money.
    case sandbox
    /// MTurk's live marketplace: real workers and real money.
    case live

    /// The HTTPS endpoint of the MTurk Requester API, nil for the local target.
    public var defaultEndpoint: URL? {
        switch self {
        case .local: return nil
        case .sandbox: return URL(string: "https://mturk-requester-sandbox.us-east-1.amazonaws.com")!
        case .live: return URL(string: "https://mturk-requester.us-east-1.amazonaws.com")!
        }
    }

    /// The base URL that MTurk's worker pages send a finished assignment to (`turkSubmitTo`), nil for the local target.
    public var workerSubmitBase: URL? {
        switch self {
        case .local: return nil
        case .sandbox: return URL(string: "https://workersandbox.mturk.com")!
        case .live: return URL(string: "https://www.mturk.com")!
        }
    }

    /// The qualification type id of Masters on this target.
    public var mastersQualificationId: String {
        self == .live ? SystemQualification.mastersLive : SystemQualification.mastersSandbox
    }
}
