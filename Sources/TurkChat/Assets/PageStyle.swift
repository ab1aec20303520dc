extension ChatAssets {
    /// The style sheet of every page, served at /static/chat.css.
    static let style = #"""
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1d2329; background: #f4f6f8; }
header.site { background: #24303c; color: #fff; padding: 10px 16px; }
header.site a { color: #fff; }
main { padding: 16px; max-width: 1100px; margin: 0 auto; }
h1 { font-size: 20px; margin: 0 0 12px; }
.layout { display: flex; gap: 16px; align-items: stretch; min-height: 560px; }
.description { flex: 0 0 34%; background: #fff; border: 1px solid #d5dbe1; border-radius: 6px; padding: 12px 14px; overflow-y: auto; }
.chat { flex: 1; display: flex; flex-direction: column; background: #fff; border: 1px solid #d5dbe1; border-radius: 6px; }
#messages { list-style: none; margin: 0; padding: 12px; flex: 1; overflow-y: auto; max-height: 520px; }
.message { margin: 0 0 10px; max-width: 85%; }
.message .sender { display: block; font-size: 12px; color: #5b6670; }
.message .text { white-space: pre-wrap; overflow-wrap: anywhere; padding: 8px 10px; border-radius: 8px; background: #eef1f4; }
.message.own { margin-left: auto; text-align: right; }
.message.own .text { background: #d8ecff; text-align: left; }
#status { padding: 8px 12px; border-top: 1px solid #e3e7eb; color: #3e4a55; min-height: 38px; }
#composer { display: flex; gap: 8px; padding: 10px 12px; border-top: 1px solid #e3e7eb; }
#message-input { flex: 1; resize: vertical; min-height: 44px; font: inherit; padding: 6px 8px; }
button { font: inherit; padding: 6px 14px; border-radius: 5px; border: 1px solid #2f6db5; background: #2f6db5; color: #fff; cursor: pointer; }
button:disabled { opacity: .5; cursor: default; }
button.secondary { background: #fff; color: #2f6db5; }
.actions { display: flex; gap: 8px; padding: 10px 12px; border-top: 1px solid #e3e7eb; }
table.hits { border-collapse: collapse; width: 100%; background: #fff; }
table.hits th, table.hits td { text-align: left; padding: 8px 10px; border-bottom: 1px solid #e3e7eb; vertical-align: top; }
.worker-form { margin: 0 0 16px; display: flex; gap: 8px; align-items: center; }
.notice { background: #fff; border: 1px solid #d5dbe1; border-radius: 6px; padding: 16px; }
iframe.task-frame { display: block; width: 100%; border: 1px solid #d5dbe1; background: #fff; }
.error { color: #9b1c1c; }
"""#
}
