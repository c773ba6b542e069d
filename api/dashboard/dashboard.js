/* VeraChain live dashboard.
 *
 * Reads the public GraphQL API like any client: the lists of open auctions and products by
 * HTTP POST to /graphql, then live changes through GraphQL subscriptions over the
 * `graphql-transport-ws` protocol on the same path, and the latest signed audit checkpoint
 * from /audit/checkpoint. No framework, no build step, no other origin.
 *
 * Every text that comes from the API goes into the page through textContent (never
 * innerHTML): product names and bidder ids are anyone's input.
 *
 * Consistency: each auction and product carries the global `position` of the last event it
 * reflects; an update (live or from a list refresh) applies only when it is newer, so the
 * order in which a refresh and a live message arrive never matters. After subscriptions
 * are (re)sent the lists are fetched once more, closing the gap between the first read and
 * the moment the subscriptions started; they are also refreshed every 30 s to pick up
 * auctions opened or products registered since.
 */
(() => {
  "use strict";

  const AUCTIONS_QUERY = `query DashboardAuctions {
    auctions(status: OPEN, first: 50) {
      nodes {
        id currency endsAt bidCount status position
        highestBid { bidderId amount { amount currency } }
        product { id name sku }
      }
    }
  }`;

  const PRODUCTS_QUERY = `query DashboardProducts {
    products(first: 50) { nodes { id name sku verificationStatus position } }
  }`;

  const AUCTION_SUBSCRIPTION = `subscription DashboardAuction($auctionId: ID!) {
    auctionUpdates(auctionId: $auctionId) {
      auctionId kind amount { amount currency } bidderId endsAt status bidCount position
    }
  }`;

  const VERIFICATION_SUBSCRIPTION = `subscription DashboardVerification($productId: ID!) {
    verificationUpdates(productId: $productId) {
      productId verificationId status stage aiScore verdict position
    }
  }`;

  const REFRESH_MS = 30000;
  const CATCH_UP_MS = 1500;
  const FEED_LIMIT = 60;
  const ENDING_SOON_MS = 5 * 60 * 1000;
  const ACK_TIMEOUT_MS = 10000;
  const MAX_RECONNECT_MS = 15000;

  // ---- small DOM helpers ---------------------------------------------------------------

  const $ = (id) => document.getElementById(id);

  /** An element with a class and a text (set as text, never parsed as HTML). */
  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  /** Restarts a one-shot CSS animation class on an element. */
  function replay(node, className) {
    node.classList.remove(className);
    void node.offsetWidth; // reflow, so that adding the class again restarts the animation
    node.classList.add(className);
  }

  document.addEventListener("animationend", (event) => {
    const target = event.target;
    if (target instanceof Element) {
      target.classList.remove("bump", "fresh");
      const row = target.closest("tr.flash");
      if (row && event.animationName === "flash") row.classList.remove("flash");
    }
  });

  function clock(date) {
    return date.toLocaleTimeString([], {
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
      hourCycle: "h23",
    });
  }

  /** A Decimal string ("1250.5") as "1,250.50": exact, whatever its size. */
  function formatAmount(value) {
    const text = String(value).trim();
    const negative = text.startsWith("-");
    const [whole, fraction = ""] = (negative ? text.slice(1) : text).split(".");
    const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    return (negative ? "-" : "") + grouped + "." + fraction.padEnd(2, "0");
  }

  function formatRemaining(ms) {
    if (ms <= 0) return "ending…";
    const seconds = Math.floor(ms / 1000);
    const days = Math.floor(seconds / 86400);
    const hours = Math.floor((seconds % 86400) / 3600);
    const minutes = Math.floor((seconds % 3600) / 60);
    const secs = seconds % 60;
    if (days > 0) return `in ${days}d ${hours}h`;
    if (hours > 0) return `in ${hours}h ${String(minutes).padStart(2, "0")}m`;
    return `in ${minutes}m ${String(secs).padStart(2, "0")}s`;
  }

  function label(code) {
    return String(code).replace(/_/g, " ");
  }

  function shortId(id) {
    return String(id).slice(0, 8);
  }

  // ---- GraphQL over HTTP ---------------------------------------------------------------

  async function graphql(query, variables) {
    const response = await fetch("/graphql", {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({ query, variables: variables || {} }),
      cache: "no-store",
      credentials: "same-origin",
    });
    let body;
    try {
      body = await response.json();
    } catch (error) {
      throw new Error(`HTTP ${response.status}`);
    }
    if (body.errors && body.errors.length) {
      const first = body.errors[0];
      const code = first.extensions && first.extensions.code;
      throw new Error(code ? `${code}: ${first.message}` : first.message);
    }
    if (!response.ok || !body.data) throw new Error(`HTTP ${response.status}`);
    return body.data;
  }

  // ---- GraphQL over WebSocket: the graphql-transport-ws protocol -----------------------

  /**
   * One connection multiplexing many subscriptions (by key). Reconnects with backoff and
   * re-subscribes everything; answers the server's pings; honours RATE_LIMITED refusals
   * (extensions.retryAfter) by pacing the subscriptions still to send.
   */
  class TransportWsClient {
    constructor(url, hooks) {
      this.url = url;
      this.hooks = hooks; // onState(state), onDrained()
      this.ws = null;
      this.acked = false;
      this.subscriptions = new Map(); // key -> subscription
      this.operations = new Map(); // operation id -> subscription
      this.queue = [];
      this.pausedUntil = 0;
      this.spacing = 0;
      this.pumpTimer = null;
      this.ackTimer = null;
      this.attempt = 0;
      this.nextId = 1;
    }

    start() {
      this.open();
    }

    open() {
      this.acked = false;
      this.hooks.onState("connecting");
      let ws;
      try {
        ws = new WebSocket(this.url, "graphql-transport-ws");
      } catch (error) {
        this.reconnectLater();
        return;
      }
      this.ws = ws;
      ws.addEventListener("open", () => {
        this.send({ type: "connection_init", payload: {} });
      });
      ws.addEventListener("message", (event) => this.receive(ws, event.data));
      ws.addEventListener("close", () => {
        if (this.ws !== ws) return;
        this.ws = null;
        this.acked = false;
        clearTimeout(this.ackTimer);
        this.forgetOperations();
        this.hooks.onState("offline");
        this.reconnectLater();
      });
      clearTimeout(this.ackTimer);
      this.ackTimer = setTimeout(() => {
        if (this.ws === ws && !this.acked) ws.close(1000, "no connection_ack");
      }, ACK_TIMEOUT_MS);
    }

    reconnectLater() {
      const ceiling = Math.min(MAX_RECONNECT_MS, 500 * 2 ** this.attempt);
      this.attempt += 1;
      const delay = ceiling / 2 + Math.random() * (ceiling / 2);
      setTimeout(() => this.open(), delay);
    }

    forgetOperations() {
      for (const subscription of this.operations.values()) this.setOperation(subscription, null);
      this.operations.clear();
      this.queue = [];
      clearTimeout(this.pumpTimer);
    }

    send(message) {
      if (this.ws && this.ws.readyState === WebSocket.OPEN) {
        this.ws.send(JSON.stringify(message));
        return true;
      }
      return false;
    }

    receive(ws, data) {
      if (this.ws !== ws) return;
      let message;
      try {
        message = JSON.parse(data);
      } catch (error) {
        return;
      }
      switch (message.type) {
        case "connection_ack":
          clearTimeout(this.ackTimer);
          this.acked = true;
          this.attempt = 0;
          this.hooks.onState("live");
          for (const subscription of this.subscriptions.values()) this.enqueue(subscription);
          this.pump();
          break;
        case "ping":
          this.send({ type: "pong", payload: message.payload });
          break;
        case "next":
          this.onNext(message.id, message.payload || {});
          break;
        case "error":
          this.onFailure(message.id, Array.isArray(message.payload) ? message.payload : []);
          break;
        case "complete":
          this.onComplete(message.id);
          break;
        default:
          break; // "pong" and anything newer: nothing to do
      }
    }

    onNext(id, payload) {
      const subscription = this.operations.get(id);
      if (!subscription) return;
      if (payload.errors && payload.errors.length && !payload.data) {
        this.onFailure(id, payload.errors);
        return;
      }
      if (payload.data) subscription.onData(payload.data);
    }

    /** The server refused or ended the operation with errors. */
    onFailure(id, errors) {
      const subscription = this.operations.get(id);
      if (!subscription) return;
      this.operations.delete(id);
      this.setOperation(subscription, null);
      const limited = errors.find((e) => e && e.extensions && e.extensions.code === "RATE_LIMITED");
      if (limited && this.subscriptions.get(subscription.key) === subscription) {
        const seconds = Number(limited.extensions.retryAfter);
        const waitMs = Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 1000;
        this.spacing = Math.max(this.spacing, Math.min(waitMs, 5000));
        this.pausedUntil = Math.max(this.pausedUntil, Date.now() + waitMs);
        this.queue.unshift(subscription);
        this.pump();
        return;
      }
      const text = errors.map((e) => (e && e.message) || "error").join("; ");
      console.warn(`subscription ${subscription.key} refused: ${text}`);
    }

    /** The server ended the operation; a subscription still wanted starts again. */
    onComplete(id) {
      const subscription = this.operations.get(id);
      if (!subscription) return;
      this.operations.delete(id);
      this.setOperation(subscription, null);
      if (this.subscriptions.get(subscription.key) === subscription) {
        setTimeout(() => this.enqueue(subscription), 1000);
      }
    }

    setOperation(subscription, id) {
      subscription.operationId = id;
      if (subscription.onActive) subscription.onActive(id !== null);
    }

    subscribe(key, query, variables, onData, onActive) {
      if (this.subscriptions.has(key)) return;
      const subscription = { key, query, variables, onData, onActive, operationId: null };
      this.subscriptions.set(key, subscription);
      this.enqueue(subscription);
    }

    unsubscribe(key) {
      const subscription = this.subscriptions.get(key);
      if (!subscription) return;
      this.subscriptions.delete(key);
      this.queue = this.queue.filter((queued) => queued !== subscription);
      const id = subscription.operationId;
      if (id !== null) {
        this.operations.delete(id);
        this.send({ id, type: "complete" });
        this.setOperation(subscription, null);
      }
    }

    enqueue(subscription) {
      if (subscription.operationId !== null || this.queue.includes(subscription)) return;
      if (this.subscriptions.get(subscription.key) !== subscription) return;
      this.queue.push(subscription);
      this.pump();
    }

    /** Sends queued subscriptions, paced after a RATE_LIMITED refusal. */
    pump() {
      clearTimeout(this.pumpTimer);
      let sent = false;
      while (this.queue.length && this.acked) {
        const wait = this.pausedUntil - Date.now();
        if (wait > 0) {
          this.pumpTimer = setTimeout(() => this.pump(), wait);
          return;
        }
        const subscription = this.queue.shift();
        if (subscription.operationId !== null) continue;
        if (this.subscriptions.get(subscription.key) !== subscription) continue;
        const id = String(this.nextId++);
        const message = {
          id,
          type: "subscribe",
          payload: { query: subscription.query, variables: subscription.variables },
        };
        if (!this.send(message)) return;
        this.operations.set(id, subscription);
        this.setOperation(subscription, id);
        sent = true;
        if (this.spacing > 0) this.pausedUntil = Date.now() + this.spacing;
      }
      if (!this.queue.length) {
        this.spacing = 0;
        if (sent) this.hooks.onDrained();
      }
    }
  }

  // ---- state ---------------------------------------------------------------------------

  const auctions = new Map(); // id -> auction view
  const products = new Map(); // id -> product view
  const productNames = new Map(); // id -> { name, sku }
  let liveUpdates = 0;

  const socketUrl = `${location.protocol === "https:" ? "wss:" : "ws:"}//${location.host}/graphql`;
  const client = new TransportWsClient(socketUrl, {
    onState: showConnection,
    onDrained: scheduleCatchUp,
  });

  function showConnection(state) {
    const box = $("connection");
    box.dataset.state = state;
    $("connection-text").textContent =
      state === "live" ? "Live" : state === "offline" ? "Offline · reconnecting" : "Connecting…";
  }

  function productLabel(productId) {
    const known = productNames.get(productId);
    return known ? known.name : `Product ${shortId(productId)}`;
  }

  // ---- auctions ------------------------------------------------------------------------

  function createAuctionRow(auction) {
    const row = el("tr");
    row.dataset.auctionId = auction.id;
    row.dataset.live = "false";

    const product = el("td", "product");
    const name = el("span", "product-name");
    const sku = el("span", "product-sku");
    const status = el("span", "badge auction-status");
    status.hidden = true;
    product.append(name, sku, status);

    const highest = el("td", "num highest-bid");
    const amount = el("span", "amount");
    const currency = el("span", "currency");
    highest.append(amount, currency);

    const bidder = el("td", "bidder highest-bidder");
    const countCell = el("td", "num");
    const count = el("span", "bid-count");
    countCell.append(count);
    const ends = el("td", "num ends-at");

    row.append(product, highest, bidder, countCell, ends);
    auction.view = { row, name, sku, status, highest, amount, currency, bidder, count, ends };
    return row;
  }

  function renderAuction(auction) {
    const v = auction.view;
    v.row.dataset.productId = auction.product ? auction.product.id : "";
    v.row.dataset.status = auction.status;
    v.row.dataset.position = String(auction.position);
    v.row.classList.toggle("closed", auction.status !== "OPEN");
    v.name.textContent = auction.product ? auction.product.name : `Auction ${shortId(auction.id)}`;
    v.name.title = v.name.textContent;
    v.sku.textContent = auction.product ? auction.product.sku : "";
    v.status.hidden = auction.status === "OPEN";
    v.status.textContent = label(auction.status);
    v.status.dataset.status = auction.status;
    if (auction.highest) {
      v.highest.dataset.amount = auction.highest.amount;
      v.highest.dataset.currency = auction.highest.currency;
      v.amount.textContent = formatAmount(auction.highest.amount);
      v.amount.classList.remove("none");
      v.currency.textContent = auction.highest.currency;
      v.bidder.textContent = auction.highest.bidderId;
      v.bidder.title = auction.highest.bidderId;
    } else {
      v.highest.dataset.amount = "";
      v.highest.dataset.currency = auction.currency;
      v.amount.textContent = "no bids";
      v.amount.classList.add("none");
      v.currency.textContent = "";
      v.bidder.textContent = "—";
      v.bidder.title = "";
    }
    v.count.textContent = String(auction.bidCount);
    v.ends.title = new Date(auction.endsAt).toLocaleString();
    renderRemaining(auction, Date.now());
  }

  function renderRemaining(auction, now) {
    const v = auction.view;
    if (auction.status !== "OPEN") {
      v.ends.textContent = label(auction.status).toLowerCase();
      v.ends.classList.remove("soon");
      return;
    }
    const left = new Date(auction.endsAt).getTime() - now;
    v.ends.textContent = formatRemaining(left);
    v.ends.classList.toggle("soon", left < ENDING_SOON_MS);
  }

  function auctionFromNode(node) {
    return {
      id: node.id,
      currency: node.currency,
      endsAt: node.endsAt,
      bidCount: node.bidCount,
      status: node.status || "OPEN",
      position: node.position,
      highest: node.highestBid
        ? {
            bidderId: node.highestBid.bidderId,
            amount: node.highestBid.amount.amount,
            currency: node.highestBid.amount.currency,
          }
        : null,
      product: node.product,
    };
  }

  function reconcileAuctions(nodes) {
    const seen = new Set();
    for (const node of nodes) {
      seen.add(node.id);
      if (node.product) {
        productNames.set(node.product.id, { name: node.product.name, sku: node.product.sku });
      }
      const fresh = auctionFromNode(node);
      const known = auctions.get(node.id);
      if (!known) {
        createAuctionRow(fresh);
        auctions.set(fresh.id, fresh);
        renderAuction(fresh);
        client.subscribe(
          `auction:${fresh.id}`,
          AUCTION_SUBSCRIPTION,
          { auctionId: fresh.id },
          (data) => onAuctionUpdate(data.auctionUpdates),
          (active) => {
            fresh.view.row.dataset.live = active ? "true" : "false";
          },
        );
      } else if (fresh.position > known.position) {
        const bidsChanged = fresh.bidCount !== known.bidCount;
        Object.assign(known, fresh, { view: known.view });
        renderAuction(known);
        if (bidsChanged) flashAuction(known, true);
      }
    }
    for (const [id, auction] of auctions) {
      if (!seen.has(id)) {
        client.unsubscribe(`auction:${id}`);
        auction.view.row.remove();
        auctions.delete(id);
      }
    }
    orderAuctionRows();
  }

  /** Rows by end time, soonest first; moves nodes only when the order changed. */
  function orderAuctionRows() {
    const body = $("auctions-body");
    const wanted = [...auctions.values()]
      .sort((a, b) => new Date(a.endsAt) - new Date(b.endsAt) || a.id.localeCompare(b.id))
      .map((auction) => auction.view.row);
    const current = [...body.children];
    if (wanted.length !== current.length || wanted.some((row, i) => row !== current[i])) {
      for (const row of wanted) body.append(row);
    }
    $("auctions-empty").hidden = auctions.size > 0;
  }

  function flashAuction(auction, bid) {
    replay(auction.view.row, "flash");
    if (bid) replay(auction.view.amount, "bump");
  }

  function onAuctionUpdate(update) {
    if (!update) return;
    const auction = auctions.get(update.auctionId);
    if (!auction || update.position <= auction.position) return;
    liveUpdates += 1;
    auction.position = update.position;
    auction.bidCount = update.bidCount;
    auction.endsAt = update.endsAt;
    auction.status = update.status;
    const bid = update.kind === "BID_PLACED" && update.amount;
    if (bid) {
      auction.highest = {
        bidderId: update.bidderId,
        amount: update.amount.amount,
        currency: update.amount.currency,
      };
    }
    renderAuction(auction);
    flashAuction(auction, Boolean(bid));
    if (update.kind === "EXTENDED") orderAuctionRows();
    renderStats();
  }

  // ---- products and verification -------------------------------------------------------

  function createProductRow(product) {
    const row = el("tr");
    row.dataset.productId = product.id;
    const cell = el("td", "product");
    const name = el("span", "product-name");
    const sku = el("span", "product-sku");
    cell.append(name, sku);
    const statusCell = el("td");
    const status = el("span", "badge verification-status");
    statusCell.append(status);
    row.append(cell, statusCell);
    product.view = { row, name, sku, status };
    $("products-body").append(row);
  }

  function renderProduct(product) {
    const v = product.view;
    v.row.dataset.position = String(product.position);
    v.row.dataset.status = product.status;
    v.name.textContent = product.name;
    v.name.title = product.name;
    v.sku.textContent = product.sku;
    v.status.textContent = label(product.status);
    v.status.dataset.status = product.status;
  }

  function reconcileProducts(nodes) {
    for (const node of nodes) {
      productNames.set(node.id, { name: node.name, sku: node.sku });
      const known = products.get(node.id);
      if (!known) {
        const product = {
          id: node.id,
          name: node.name,
          sku: node.sku,
          status: node.verificationStatus,
          position: node.position,
        };
        createProductRow(product);
        products.set(product.id, product);
        renderProduct(product);
      } else if (node.position > known.position) {
        known.status = node.verificationStatus;
        known.position = node.position;
        renderProduct(known);
      }
    }
    $("products-empty").hidden = products.size > 0;
    $("products-meta").textContent = `${products.size} shown`;
  }

  /** Verification updates for the listed products and the products of open auctions. */
  const watchedProducts = new Set();

  function watchProducts() {
    const wanted = new Set(products.keys());
    for (const auction of auctions.values()) if (auction.product) wanted.add(auction.product.id);
    for (const id of wanted) {
      if (!watchedProducts.has(id)) {
        watchedProducts.add(id);
        client.subscribe(
          `product:${id}`,
          VERIFICATION_SUBSCRIPTION,
          { productId: id },
          (data) => onVerificationUpdate(data.verificationUpdates),
          null,
        );
      }
    }
    for (const id of [...watchedProducts]) {
      if (!wanted.has(id)) {
        watchedProducts.delete(id);
        client.unsubscribe(`product:${id}`);
      }
    }
    $("feed-meta").textContent = `watching ${watchedProducts.size} products`;
  }

  function describe(update) {
    if (update.stage === "AWAITING_AI") return ["Verification requested", update.stage];
    if (update.stage === "AWAITING_INSPECTION") {
      const score = update.aiScore === null || update.aiScore === undefined ? "—" : update.aiScore;
      return [`AI assessment · score ${score}`, update.stage];
    }
    if (update.stage === "CONCLUDED") {
      const verdict = update.verdict || "—";
      return [`Inspection verdict · ${label(verdict).toLowerCase()}`, update.verdict || update.stage];
    }
    if (update.stage) return [`Stage ${label(update.stage).toLowerCase()}`, update.stage];
    if (update.status) return ["Verification status changed", update.status];
    return ["Verification updated", ""];
  }

  function onVerificationUpdate(update) {
    if (!update) return;
    liveUpdates += 1;
    const product = products.get(update.productId);
    if (update.status && product && update.position > product.position) {
      product.status = update.status;
      product.position = update.position;
      renderProduct(product);
      replay(product.view.row, "flash");
    }
    const [detail, badge] = describe(update);
    const item = el("li", "feed-item fresh");
    item.dataset.productId = update.productId;
    item.dataset.position = String(update.position);
    if (update.verificationId) item.dataset.verificationId = update.verificationId;
    const time = el("time", "feed-time", clock(new Date()));
    time.dateTime = new Date().toISOString();
    const body = el("div", "feed-body");
    const name = el("span", "feed-product", productLabel(update.productId));
    name.title = name.textContent;
    body.append(name, el("span", "feed-detail", detail));
    const status = el("span", "badge", label(badge));
    status.dataset.status = badge;
    status.hidden = !badge;
    item.append(time, body, status);
    const feed = $("verification-feed");
    feed.prepend(item);
    while (feed.children.length > FEED_LIMIT) feed.lastElementChild.remove();
    $("feed-empty").hidden = true;
    renderStats();
  }

  // ---- summary ---------------------------------------------------------------------------

  function renderStats() {
    let open = 0;
    let bids = 0;
    for (const auction of auctions.values()) {
      if (auction.status === "OPEN") {
        open += 1;
        bids += auction.bidCount;
      }
    }
    let authentic = 0;
    for (const product of products.values()) if (product.status === "AUTHENTIC") authentic += 1;
    $("stat-auctions").textContent = String(open);
    $("stat-bids").textContent = bids.toLocaleString();
    $("stat-verified").textContent = `${authentic} / ${products.size}`;
    $("stat-updates").textContent = liveUpdates.toLocaleString();
  }

  // ---- audit checkpoint ------------------------------------------------------------------

  async function loadCheckpoint() {
    const box = $("checkpoint");
    const empty = $("checkpoint-empty");
    const facts = $("checkpoint-facts");
    const note = $("checkpoint-note");
    let state;
    let text = "";
    try {
      const response = await fetch("/audit/checkpoint", {
        headers: { Accept: "text/plain" },
        cache: "no-store",
        credentials: "same-origin",
      });
      text = await response.text();
      state = response.status === 200 ? "present" : response.status === 404 ? "none" : "error";
      if (state === "error") text = `HTTP ${response.status}`;
    } catch (error) {
      state = "error";
      text = "unreachable";
    }
    box.dataset.state = state;
    if (state === "present") {
      // A C2SP checkpoint: origin, tree size, root hash (base64), blank line, signatures.
      const lines = text.split("\n");
      $("checkpoint-origin").textContent = lines[0] || "—";
      $("checkpoint-size").textContent = /^\d+$/.test(lines[1] || "")
        ? Number(lines[1]).toLocaleString()
        : lines[1] || "—";
      $("checkpoint-root").textContent = lines[2] || "—";
      note.textContent = text;
      facts.hidden = false;
      note.hidden = false;
      empty.hidden = true;
    } else {
      facts.hidden = true;
      note.hidden = true;
      empty.hidden = false;
      empty.textContent =
        state === "none" ? "No audit checkpoint yet" : `Checkpoint unavailable (${text})`;
    }
    $("audit-meta").textContent = `checked ${clock(new Date())}`;
  }

  // ---- refresh cycle ---------------------------------------------------------------------

  let refreshing = null;
  let refreshAgain = false;
  let catchUpTimer = null;

  async function refresh() {
    if (refreshing) {
      refreshAgain = true;
      return refreshing;
    }
    refreshing = (async () => {
      try {
        const [auctionData, productData] = await Promise.all([
          graphql(AUCTIONS_QUERY),
          graphql(PRODUCTS_QUERY),
        ]);
        reconcileProducts(productData.products.nodes);
        reconcileAuctions(auctionData.auctions.nodes);
        watchProducts();
        renderStats();
        $("auctions-meta").textContent = `updated ${clock(new Date())}`;
        document.body.dataset.loaded = "true";
      } catch (error) {
        $("auctions-meta").textContent = `refresh failed: ${error.message}`;
        if (document.body.dataset.loaded !== "true") {
          $("auctions-empty").textContent = "Could not load auctions; retrying…";
          $("auctions-empty").hidden = false;
        }
      }
    })();
    try {
      await refreshing;
    } finally {
      refreshing = null;
      if (refreshAgain) {
        refreshAgain = false;
        refresh();
      }
    }
    return undefined;
  }

  /** Subscriptions were just (re)sent: read the lists once more to close the gap. */
  function scheduleCatchUp() {
    clearTimeout(catchUpTimer);
    catchUpTimer = setTimeout(refresh, CATCH_UP_MS);
  }

  function tick() {
    const now = Date.now();
    for (const auction of auctions.values()) renderRemaining(auction, now);
  }

  function start() {
    renderStats();
    client.start();
    refresh();
    loadCheckpoint();
    setInterval(refresh, REFRESH_MS);
    setInterval(loadCheckpoint, REFRESH_MS);
    setInterval(tick, 1000);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
