// The map of a proposals component's map view. The page lists the located proposals and works
// without this script; Leaflet (about 150 KB) is only downloaded when the visitor presses
// "Show the map", and the markers come from the list's data attributes, so the map shows exactly
// what the list does. Every marker is a keyboard stop whose popup links to its proposal.
(function () {
  "use strict";
  var loader = document.getElementById("map-loader");
  var button = document.getElementById("map-show");
  var container = document.getElementById("proposals-map");
  var list = document.getElementById("map-list");
  if (!loader || !button || !container || !list) { return; }
  loader.hidden = false;  // without this script the button could do nothing, so the page hides it

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

  function markers() {
    return Array.prototype.map.call(list.querySelectorAll("li[data-latitude]"), function (item) {
      var link = item.querySelector("a");
      return {
        latitude: parseFloat(item.getAttribute("data-latitude")),
        longitude: parseFloat(item.getAttribute("data-longitude")),
        title: link.textContent,
        href: link.getAttribute("href")
      };
    }).filter(function (marker) { return isFinite(marker.latitude) && isFinite(marker.longitude); });
  }

  function popup(marker) {
    var link = document.createElement("a");
    link.href = marker.href;
    link.textContent = marker.title;
    return link;
  }

  function draw() {
    var L = window.L;
    container.hidden = false;
    var map = L.map(container, {keyboard: true, scrollWheelZoom: false});
    L.tileLayer(container.getAttribute("data-tiles"), {
      maxZoom: 19, attribution: escapeHtml(container.getAttribute("data-attribution") || "")
    }).addTo(map);
    var points = [];
    markers().forEach(function (marker) {
      var point = [marker.latitude, marker.longitude];
      points.push(point);
      L.marker(point, {title: marker.title, alt: marker.title, keyboard: true})
        .bindPopup(popup(marker)).addTo(map);
    });
    if (points.length === 1) {
      map.setView(points[0], 16);
    } else {
      map.fitBounds(points, {padding: [24, 24], maxZoom: 16});
    }
    button.hidden = true;
    container.focus();
  }

  function failed() {
    button.disabled = false;
    document.getElementById("map-failed").hidden = false;
  }

  button.addEventListener("click", function () {
    button.disabled = true;
    if (window.L) { draw(); return; }
    // The style sheet first: Leaflet lays its panes out with it.
    load("link", {rel: "stylesheet", href: container.getAttribute("data-leaflet-css")}, function () {
      load("script", {src: container.getAttribute("data-leaflet-js")}, draw, failed);
    }, failed);
  });
}());
