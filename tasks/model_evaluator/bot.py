#!/usr/bin/env python3
"""A retrieval bot for serve-chat's model evaluator task, speaking JSON Lines on stdin and stdout.

It loads the Reddit context and response pairs once and serves every conversation from the same memory. To
reply to a context, it picks the stored pair whose context shares the most words with it (never the pair the
context came from) and replies with that pair's response.

Messages from serve-chat (one JSON object per line):
  {"type": "observe", "conversation": "c...", "agent_id": "Model", "message": {"id": "...", "text": "...", ...}}
  {"type": "act", "conversation": "c...", "agent_id": "Model"}
  {"type": "end", "conversation": "c...", "agent_id": "Model"}
Messages to serve-chat:
  {"type": "action", "conversation": "c...", "text": "...", "episode_done": false}
  {"type": "log", "text": "..."}
"""

import json
import re
import sys


def words(text):
    return set(re.findall(r"[a-z0-9']+", text.lower()))


def main():
    data_file = sys.argv[1] if len(sys.argv) > 1 else "data/movies_2015-02-07.json"
    with open(data_file, encoding="utf-8") as handle:
        pairs = [(pair["question"], pair["answer"]) for pair in json.load(handle)]
    index = [(words(question), question, answer) for question, answer in pairs]
    contexts = {}
    print(json.dumps({"type": "log", "text": "loaded %d pairs from %s" % (len(pairs), data_file)}), flush=True)

    for line in sys.stdin:
        message = json.loads(line)
        kind = message.get("type")
        conversation = message.get("conversation")
        if kind == "observe":
            text = message["message"].get("context") or message["message"].get("text", "")
            contexts[conversation] = text
        elif kind == "act":
            context = contexts.get(conversation, "")
            wanted = words(context)
            best = max((entry for entry in index if entry[1].strip() != context.strip()),
                       key=lambda entry: len(entry[0] & wanted), default=None)
            reply = best[2] if best else "I have nothing to say about that."
            print(json.dumps({"type": "action", "conversation": conversation, "text": reply,
                              "episode_done": False}), flush=True)
        elif kind == "end":
            contexts.pop(conversation, None)


if __name__ == "__main__":
    main()
