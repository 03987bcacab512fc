// Picking a proposal's place on a map, in the complete step of the wizard and in the edit form. Without
// this script the form has its latitude and longitude fields, typed as ever, and this block stays hidden.
// With it, "Pick the place on a map" downloads Leaflet (about 150 KB, only then) and shows a map: a click
// puts the marker there, the marker can be dragged, and either fills in the two fields; typing in the
// fields moves the marker. Everything the script needs comes in the block's data attributes.
(function () {
  "use strict";
  var picker = document.getElementById("map-picker");
  var button = document.getElementById("map-picker-show");
  var container = document.getElementById("map-picker-map");
  var status = document.getElementById("map-picker-status");
  if (!picker || !button || !container || !status) { return; }
  var latitude = document.getElementById(picker.getAttribute("data-latitude-field"));
  var longitude = document.getElementById(picker.getAttribute("data-longitude-field"));
  if (!latitude || !longitude) { return; }
  picker.hidden = false;  // without this script the button could do nothing, so the page hides it
  var map = null;
  var marker = null;

  function load(tag, attributes, done, failed) {
    var element = document.createElement(tag);
    Object.keys(attributes).forEach(function (name) { element.setAttribute(name, attributes[name]); });
    element.addEventListener("load", done);
    element.addEventListener("error", failed);
    document.head.appendChild(element);
  }

  function escapeHtml(text) {  // Leaflet writes the attribution as HTML; ours is plain text
    var holder = document.createElement("span");
    holder.textContent = text;
    return holder.innerHTML;
  }

  function number(field) {  // as the server reads it: a point or a comma before the decimals
    var value = field.value.trim().replace(",", ".");
    return /^[-+]?\d+(\.\d+)?$/.test(value) ? parseFloat(value) : NaN;
  }

  function typed() {
    var lat = number(latitude);
    var lng = number(longitude);
    if (!isFinite(lat) || !isFinite(lng) || Math.abs(lat) > 90 || Math.abs(lng) > 180) { return null; }
    return [lat, lng];
  }

  function rounded(value) {  // about 11 cm: more digits say nothing more about a place
    return String(Math.round(value * 1e6) / 1e6);
  }

  function fill(point) {
    latitude.value = rounded(point.lat);
    longitude.value = rounded(point.lng);
    status.textContent = picker.getAttribute("data-placed")
      .replace("{latitude}", latitude.value).replace("{longitude}", longitude.value);
  }

  function place(point) {
    if (marker) {
      marker.setLatLng(point);
      return;
    }
    var title = picker.getAttribute("data-marker");
    marker = window.L.marker(point, {draggable: true, keyboard: true, title: title, alt: title}).addTo(map);
    marker.on("dragend", function () {
      var moved = marker.getLatLng().wrap();
      marker.setLatLng(moved);
      fill(moved);
    });
  }

  function follow() {  // the fields were typed in: the marker goes there, if they make a place
    var point = typed();
    if (map && point) {
      place(point);
      map.panTo(point);
    }
  }

  function draw() {
    var L = window.L;
    container.hidden = false;
    map = L.map(container, {keyboard: true, scrollWheelZoom: false});
    L.tileLayer(picker.getAttribute("data-tiles"), {
      maxZoom: 19, attribution: escapeHtml(picker.getAttribute("data-attribution") || "")
    }).addTo(map);
    var point = typed();
    var near = [parseFloat(picker.getAttribute("data-near-latitude")),
                parseFloat(picker.getAttribute("data-near-longitude"))];
    if (point) {
      map.setView(point, 16);
      place(point);
    } else if (isFinite(near[0]) && isFinite(near[1])) {
      map.setView(near, 14);  // where the component's proposals are
    } else {
      map.setView([20, 0], 2);
    }
    map.on("click", function (event) {
      var clicked = event.latlng.wrap();
      place(clicked);
      fill(clicked);
    });
    button.hidden = true;
    container.focus();
  }

  function failed() {
    button.disabled = false;
    document.getElementById("map-picker-failed").hidden = false;
  }

  latitude.addEventListener("change", follow);
  longitude.addEventListener("change", follow);
  button.addEventListener("click", function () {
    button.disabled = true;
    if (window.L) { draw(); return; }
    // The style sheet first: Leaflet lays its panes out with it.
    load("link", {rel: "stylesheet", href: picker.getAttribute("data-leaflet-css")}, function () {
      load("script", {src: picker.getAttribute("data-leaflet-js")}, draw, failed);
    }, failed);
  });
}());
