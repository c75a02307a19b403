// Question bank pages: "select all" on the list, and refresh the filters when the item changes.
(function () {
  "use strict";
  var all = document.getElementById("select-all");
  if (all) {
    all.addEventListener("change", function () {
      document.querySelectorAll("input[name='ids']").forEach(function (box) { box.checked = all.checked; });
    });
  }
  var item = document.getElementById("filter-item");
  if (item && item.form) {
    item.addEventListener("change", function () {
      var kp = document.getElementById("filter-kp");
      if (kp) { kp.value = ""; }
      item.form.submit();
    });
  }
})();
