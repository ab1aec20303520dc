// The chat page's script, served at /static/chat.js. It is embedded here so that the built executable works from
// any folder. Everything a worker or a bot wrote is put into the page with textContent, never as HTML.

enum ChatAssets {
    static let script = #"""
'use strict';
(function () {
  var body = document.body;
  var ids = {
    run: body.dataset.run || '',
    hit: body.dataset.hit || '',
    assignment: body.dataset.assignment || '',
    worker: body.dataset.worker || ''
  };
  var preview = body.dataset.preview === 'true';
  var list = document.getElementById('messages');
  var statusLine = document.getElementById('status');
  var input = document.getElementById('message-input');
  var sendButton = document.getElementById('send-button');
  var composer = document.getElementById('composer');
  var doneButton = document.getElementById('done-button');
  var submitForm = document.getElementById('submit-form');

  var taskAssets = body.dataset.taskAssets || '';
  var listeners = [];
  var taskPanel = document.getElementById('task-panel');
  var descriptionPane = document.getElementById('task-description');

  var state = {
    conversation: null,
    lastSeq: 0,
    agentId: null,
    pending: new Map(),
    socket: null,
    retryDelay: 500,
    inactive: false,
    heartbeat: null,
    heartbeatSeconds: 10
  };

  function setStatus(text) {
    statusLine.textContent = text;
  }

  function setInputEnabled(enabled) {
    input.disabled = !enabled;
    sendButton.disabled = !enabled;
    composer.hidden = !enabled && state.inactive;
    if (enabled) {
      input.focus();
    }
  }

  function newClientId() {
    if (window.crypto && typeof window.crypto.randomUUID === 'function') {
      return window.crypto.randomUUID();
    }
    return Date.now().toString(36) + '-' + Math.random().toString(36).slice(2, 12);
  }

  function clearMessages() {
    while (list.firstChild) {
      list.removeChild(list.firstChild);
    }
  }

  function render(sender, text, kind, seq) {
    var item = document.createElement('li');
    item.className = 'message ' + kind;
    if (seq !== undefined) {
      item.dataset.seq = String(seq);
    }
    var label = document.createElement('span');
    label.className = 'sender';
    label.textContent = sender;
    var content = document.createElement('div');
    content.className = 'text';
    content.textContent = text;
    item.appendChild(label);
    item.appendChild(content);
    list.appendChild(item);
    list.scrollTop = list.scrollHeight;
  }

  function showMessage(frame) {
    if (frame.conversation !== state.conversation || frame.seq <= state.lastSeq) {
      return;
    }
    state.lastSeq = frame.seq;
    if (frame.own) {
      if (frame.client_id) {
        state.pending.delete(frame.client_id);
      }
      render('You', frame.text, 'own', frame.seq);
    } else {
      render(frame.sender, frame.text, frame.sender === state.agentId ? 'own' : 'other', frame.seq);
    }
  }

  function acknowledge(frame) {
    var text = state.pending.get(frame.client_id);
    state.pending.delete(frame.client_id);
    if (frame.conversation === state.conversation && frame.seq > state.lastSeq && text !== undefined) {
      state.lastSeq = frame.seq;
      render('You', text, 'own', frame.seq);
      input.value = '';
    }
  }

  function applyCommand(frame) {
    switch (frame.command) {
      case 'send_message':
        setInputEnabled(true);
        setStatus('It is your turn: write your message and press Send.');
        break;
      case 'wait':
        setInputEnabled(false);
        setStatus(frame.text || 'Please wait…');
        break;
      case 'show_done':
        doneButton.hidden = false;
        break;
      case 'inactive':
        state.inactive = true;
        setInputEnabled(false);
        composer.hidden = true;
        setStatus(frame.text || 'This assignment is over.');
        doneButton.hidden = !frame.show_done;
        break;
      case 'change_conversation':
        state.conversation = frame.conversation;
        if (frame.agent_id !== state.agentId) {
          loadAgentBlocks(frame.agent_id);
        }
        state.agentId = frame.agent_id;
        state.lastSeq = 0;
        clearMessages();
        setInputEnabled(false);
        break;
    }
  }

  // A task's own html/<agent id>_description.html and html/<agent id>_chat.html replace the description pane and
  // fill the panel above the messages once the worker's role is known. They are the requester's own files.
  function loadAgentBlocks(agentId) {
    if (!taskAssets || !agentId || !/^[A-Za-z0-9_-]+$/.test(agentId)) {
      return;
    }
    [['_description.html', descriptionPane], ['_chat.html', taskPanel]].forEach(function (pair) {
      fetch(taskAssets + agentId + pair[0]).then(function (response) {
        if (response.ok) {
          return response.text().then(function (html) {
            pair[1].innerHTML = html;
            pair[1].hidden = false;
          });
        }
      }).catch(function () {});
    });
  }

  function handle(frame) {
    listeners.forEach(function (listener) {
      try {
        listener(frame, state);
      } catch (error) {
        // A task script's error must not stop the chat.
      }
    });
    switch (frame.type) {
      case 'joined':
        state.retryDelay = 500;
        state.heartbeatSeconds = frame.heartbeat_seconds || 10;
        startHeartbeat();
        if (frame.conversation !== state.conversation) {
          state.conversation = frame.conversation;
          state.lastSeq = 0;
          clearMessages();
        }
        if (frame.agent_id !== state.agentId) {
          loadAgentBlocks(frame.agent_id);
        }
        state.agentId = frame.agent_id;
        // The wait command that follows sets the text, because only the server knows whether a partner is needed.
        setStatus(frame.status === 'waiting' ? 'Please wait…' : 'Connected.');
        state.pending.forEach(function (text, clientId) {
          sendFrame({ type: 'message', client_id: clientId, text: text });
        });
        break;
      case 'message':
        showMessage(frame);
        break;
      case 'ack':
        acknowledge(frame);
        break;
      case 'command':
        applyCommand(frame);
        break;
      case 'error':
        if (frame.client_id && state.pending.has(frame.client_id) && frame.code !== 'store_failed') {
          state.pending.delete(frame.client_id);
        }
        setStatus(frame.message);
        break;
    }
  }

  function sendFrame(object) {
    if (state.socket && state.socket.readyState === WebSocket.OPEN) {
      state.socket.send(JSON.stringify(object));
      return true;
    }
    return false;
  }

  function startHeartbeat() {
    if (state.heartbeat) {
      clearInterval(state.heartbeat);
    }
    state.heartbeat = setInterval(function () {
      sendFrame({ type: 'ping', id: Date.now() });
    }, state.heartbeatSeconds * 1000);
  }

  function connect() {
    var scheme = location.protocol === 'https:' ? 'wss://' : 'ws://';
    var socket = new WebSocket(scheme + location.host + '/ws');
    state.socket = socket;
    socket.onopen = function () {
      sendFrame({
        type: 'join', run: ids.run, hit: ids.hit, assignment: ids.assignment, worker: ids.worker,
        conversation: state.conversation, last_seq: state.lastSeq
      });
    };
    socket.onmessage = function (event) {
      var frame;
      try {
        frame = JSON.parse(event.data);
      } catch (error) {
        return;
      }
      handle(frame);
    };
    socket.onclose = function (event) {
      if (state.heartbeat) {
        clearInterval(state.heartbeat);
        state.heartbeat = null;
      }
      if (state.inactive || event.code === 4001 || event.code === 4003 || event.code === 4004 ||
          event.code === 4009 || event.code === 4011 || event.code === 4012) {
        if (!state.inactive) {
          setStatus('Disconnected: ' + (event.reason || 'the server closed the connection') + '.');
          setInputEnabled(false);
        }
        return;
      }
      if (event.code === 1013) {
        setStatus('The server could not check this assignment with MTurk yet; trying again…');
      } else {
        setStatus('Connection lost; reconnecting…');
      }
      setTimeout(connect, state.retryDelay);
      state.retryDelay = Math.min(state.retryDelay * 2, 10000);
    };
  }

  function sendMessage(text, data) {
    var clientId = newClientId();
    state.pending.set(clientId, text);
    setInputEnabled(false);
    setStatus('Sending…');
    var frame = { type: 'message', client_id: clientId, text: text };
    if (data) {
      frame.data = data;
    }
    sendFrame(frame);
  }

  composer.addEventListener('submit', function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (!text || input.disabled) {
      return;
    }
    sendMessage(text);
  });

  // The interface for a task's own script (html/task.js): it receives every frame and may send a message when
  // the conversation waits for this worker.
  window.turkchat = {
    onFrame: function (listener) {
      listeners.push(listener);
    },
    canSend: function () {
      return !input.disabled;
    },
    send: function (text, data) {
      if (input.disabled) {
        return false;
      }
      sendMessage(text, data);
      return true;
    },
    render: render
  };

  input.addEventListener('keydown', function (event) {
    if (event.key === 'Enter' && !event.shiftKey) {
      event.preventDefault();
      composer.requestSubmit();
    }
  });

  doneButton.addEventListener('click', function () {
    doneButton.disabled = true;
    submitForm.submit();
  });

  if (preview) {
    setStatus('This is a preview. Accept the HIT to start the conversation.');
    setInputEnabled(false);
  } else {
    setInputEnabled(false);
    setStatus('Connecting…');
    // Task scripts load after this one; connect once they have registered their listeners.
    window.addEventListener('load', connect);
  }
})();
"""#
}
