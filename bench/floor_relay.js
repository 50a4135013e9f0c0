// The Node.js floor: a bare socket.io relay that joins rooms and rebroadcasts, with no
// authentication and no database. Same events and acknowledgements as the hub's thread.
"use strict";
const http = require("http");
const { Server } = require("socket.io");

const port = parseInt(process.argv[2], 10);
const httpServer = http.createServer();
const io = new Server(httpServer, {
  cors: { origin: "*" },
  pingInterval: 25000,
  pingTimeout: 20000,
  maxHttpBufferSize: 1e6,
});
const seqs = new Map();
const room = (id) => "shipment:" + id;

io.on("connection", (socket) => {
  socket.on("join", (data, ack) => {
    socket.join(room(data.shipment_id));
    if (typeof ack === "function") ack({ ok: true, messages: [], more: false });
  });
  socket.on("send", (data, ack) => {
    const name = room(data.shipment_id);
    const seq = (seqs.get(name) || 0) + 1;
    seqs.set(name, seq);
    const message = { shipment_id: data.shipment_id, seq, client_id: data.client_id, body: data.body };
    io.to(name).emit("message", message);
    if (typeof ack === "function") ack({ ok: true, message });
  });
});

httpServer.listen(port, "127.0.0.1");
process.on("SIGTERM", () => process.exit(0));
