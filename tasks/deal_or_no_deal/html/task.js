'use strict';
// The Deal or No Deal panel: the items with this worker's values, and the selection controls. It talks to the
// chat page only through window.turkchat, and builds every element with textContent.
(function () {
  var panel = document.getElementById('task-panel');
  var built = false;
  var inputs = [];
  var buttons = [];

  function cell(row, tag, text) {
    var element = document.createElement(tag);
    element.textContent = text;
    row.appendChild(element);
    return element;
  }

  function build(data) {
    built = true;
    panel.hidden = false;
    var container = document.createElement('div');
    container.id = 'deal-panel';
    var table = document.createElement('table');
    var head = document.createElement('tr');
    ['Item', 'Count', 'Value to you', 'You take'].forEach(function (title) { cell(head, 'th', title); });
    table.appendChild(head);
    data.items.forEach(function (item, index) {
      var row = document.createElement('tr');
      row.className = 'deal-item';
      cell(row, 'td', item);
      cell(row, 'td', String(data.counts[index]));
      cell(row, 'td', String(data.values[index]));
      var input = document.createElement('input');
      input.type = 'number';
      input.min = '0';
      input.max = String(data.counts[index]);
      input.value = '0';
      input.id = 'take-' + index;
      var holder = document.createElement('td');
      holder.appendChild(input);
      row.appendChild(holder);
      inputs.push(input);
      table.appendChild(row);
    });
    container.appendChild(table);
    var row = document.createElement('div');
    row.className = 'buttons';
    var agree = document.createElement('button');
    agree.type = 'button';
    agree.id = 'deal-agreed';
    agree.textContent = 'Deal Agreed';
    agree.addEventListener('click', function () {
      var total = inputs.reduce(function (sum, input) { return sum + Number(input.value || 0); }, 0);
      if (total === 0) {
        window.alert('Enter what you take, or press No Agreement.');
        return;
      }
      select(inputs.map(function (input) { return Number(input.value || 0); }));
    });
    var none = document.createElement('button');
    none.type = 'button';
    none.className = 'secondary';
    none.id = 'no-agreement';
    none.textContent = 'No Agreement';
    none.addEventListener('click', function () { select(inputs.map(function () { return 0; })); });
    buttons = [agree, none];
    row.appendChild(agree);
    row.appendChild(none);
    container.appendChild(row);
    panel.appendChild(container);
  }

  function select(counts) {
    var text = '<selection> ' + counts.map(function (count, index) { return 'item' + index + '=' + count; }).join(' ');
    if (window.turkchat.send(text, { selection: counts })) {
      buttons.forEach(function (button) { button.disabled = true; });
    }
  }

  window.turkchat.onFrame(function (frame) {
    if (frame.type === 'message' && !built && frame.data && frame.data.counts && frame.data.values) {
      build(frame.data);
    }
    if (frame.type === 'command' && frame.command === 'inactive') {
      buttons.forEach(function (button) { button.disabled = true; });
    }
  });
})();
