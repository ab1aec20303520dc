// swift-tools-version:6.0
//
// turkchat: command-line tools for live chat data collection on Amazon
// Mechanical Turk and on an offline marketplace that behaves like it.

import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
]

let package = Package(
    name: "turkchat",
    platforms: [.macOS(.v14)],
    products: [
        .library(
            name: "TurkCore",
            targets: ["TurkModel", "TurkStore", "TurkLocal", "TurkAWS", "TurkCLI", "TurkChat", "TurkTools"]
        ),
        .executable(name: "create-hits", targets: ["create-hits"]),
        .executable(name: "serve-chat", targets: ["serve-chat"]),
        .executable(name: "review", targets: ["review"]),
        .executable(name: "bonus-workers", targets: ["bonus-workers"]),
        .executable(name: "delete-hits", targets: ["delete-hits"]),
        .executable(name: "block", targets: ["block"]),
    ],
    targets: [
        // C libraries from Debian's -dev packages.
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "CCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CWebSockets", pkgConfig: "libwebsockets", providers: [.apt(["libwebsockets-dev"])]),

        // The core library, split by concern so that each part builds and tests on its own.
        .target(name: "TurkModel", dependencies: ["CCrypto"], swiftSettings: swiftSettings),
        .target(name: "TurkStore", dependencies: ["TurkModel", "CSQLite"], swiftSettings: swiftSettings),
        .target(name: "TurkLocal", dependencies: ["TurkModel", "TurkStore"], swiftSettings: swiftSettings),
        .target(name: "TurkAWS", dependencies: ["TurkModel", "CCrypto"], swiftSettings: swiftSettings),
        .target(name: "TurkCLI", dependencies: ["TurkModel", "TurkStore"], swiftSettings: swiftSettings),
        .target(
            name: "TurkChat",
            dependencies: ["TurkModel", "TurkStore", "TurkLocal", "TurkAWS", "CWebSockets"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "TurkTools",
            dependencies: ["TurkModel", "TurkStore", "TurkLocal", "TurkAWS", "TurkCLI", "TurkChat"],
            swiftSettings: swiftSettings
        ),

        // The six executables stay thin: each calls into TurkTools and exits with its code.
        .executableTarget(name: "create-hits", dependencies: ["TurkTools"], swiftSettings: swiftSettings),
        .executableTarget(name: "serve-chat", dependencies: ["TurkTools"], swiftSettings: swiftSettings),
        .executableTarget(name: "review", dependencies: ["TurkTools"], swiftSettings: swiftSettings),
        .executableTarget(name: "bonus-workers", dependencies: ["TurkTools"], swiftSettings: swiftSettings),
        .executableTarget(name: "delete-hits", dependencies: ["TurkTools"], swiftSettings: swiftSettings),
        .executableTarget(name: "block", dependencies: ["TurkTools"], swiftSettings: swiftSettings),

        // Unit tests, one target per module, and end-to-end tests that run the built executables.
        .testTarget(name: "TurkModelTests", dependencies: ["TurkModel"], swiftSettings: swiftSettings),
        .testTarget(name: "TurkStoreTests", dependencies: ["TurkStore"], swiftSettings: swiftSettings),
        .testTarget(name: "TurkLocalTests", dependencies: ["TurkLocal", "TurkStore"], swiftSettings: swiftSettings),
        .testTarget(
            name: "TurkAWSTests", dependencies: ["TurkAWS", "TurkLocal"], resources: [.copy("Vectors")],
            swiftSettings: swiftSettings),
        .testTarget(name: "TurkCLITests", dependencies: ["TurkCLI"], swiftSettings: swiftSettings),
        .testTarget(name: "TurkChatTests", dependencies: ["TurkChat", "TurkLocal", "TurkStore", "TurkTools", "TurkCLI"], swiftSettings: swiftSettings),
        .testTarget(
            name: "TurkToolsTests", dependencies: ["TurkTools", "TurkCLI", "TurkLocal", "TurkStore", "TurkModel"],
            swiftSettings: swiftSettings),
        .testTarget(name: "EndToEndTests", dependencies: ["TurkModel", "TurkStore", "TurkLocal"], swiftSettings: swiftSettings),
    ]
)
