// swift-tools-version:6.0
//
// chat-bench: a load generator for serve-chat. It lives in a package of its own so that its build never slows
// the main package's, and it uses the main package's run store and local marketplace to set up its run.

import PackageDescription

let package = Package(
    name: "chat-bench",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(name: "turkchat", path: ".."),
    ],
    targets: [
        .systemLibrary(name: "CWebSocketsBench", pkgConfig: "libwebsockets", providers: [.apt(["libwebsockets-dev"])]),
        .executableTarget(
            name: "chat-bench",
            dependencies: ["CWebSocketsBench", .product(name: "TurkCore", package: "turkchat")],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
    ]
)
