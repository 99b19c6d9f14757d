/* kc-event-server.h: the call events over WebSocket, for web pages and CRMs
 *
 * ws://ADDRESS:PORT/events carries every event of the headless stream, the
 * same JSON text (kc-events.h), one text message each. A client that
 * connects first gets the calls in progress: for each call in the tracker's
 * model, its incoming_call or outgoing_call in its current state, as the
 * tracker announces a call it first sees already connected; then the live
 * events. http://ADDRESS:PORT/ (and /events.html) is the events page.
 *
 * Who may connect:
 * - with a token set, only a client that presents it, as "Authorization:
 *   Bearer TOKEN" or "?token=TOKEN"; any other gets 401 and no event;
 * - a request that carries an Origin (a browser's) only from the server's
 *   own origin (http:// and the address and port the client reached, or
 *   localhost on loopback: the events page) or an allowed origin; any other
 *   gets 403. A web site the operator visits cannot read their calls
 *   through ws://127.0.0.1, not even by pointing its own name at 127.0.0.1,
 *   since its pages' Origin still names the site.
 * Listening where other computers can connect without a token is refused
 * earlier, by the configuration (kc-config.h).
 *
 * A slow or dead client never holds up the others or the poll: nothing
 * here blocks, and the events a client has not taken yet wait in its own
 * queue, at most KC_EVENT_SERVER_QUEUE_LIMIT bytes. A client past that is
 * dropped with close code 1008 (policy violation), logged once.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "kc-call-tracker.h"
#include "kc-sync.h"

G_BEGIN_DECLS

/* Bytes of events waiting for one client, past what the kernel holds for
 * it, before it is dropped: about a thousand events */
#define KC_EVENT_SERVER_QUEUE_LIMIT (256 * 1024)
/* The kernel's send buffer for one client, asked for on its socket: lets
 * a client that stopped reading be seen after a few hundred kilobytes, not
 * megabytes */
#define KC_EVENT_SERVER_SOCKET_BUFFER (64 * 1024)

#define KC_TYPE_EVENT_SERVER (kc_event_server_get_type ())
G_DECLARE_FINAL_TYPE (KcEventServer, kc_event_server, KC, EVENT_SERVER, GObject)

/* token: NULL for none; origins: normalized (kc_config_parse_origin), NULL
 * for none besides the server's own */
KcEventServer *kc_event_server_new           (const char         *token,
                                              const char *const  *origins);
/* Sends the tracker's and the sync's events from now on */
void           kc_event_server_attach        (KcEventServer      *self,
                                              KcCallTracker      *tracker,
                                              KcSync             *sync);
gboolean       kc_event_server_listen        (KcEventServer      *self,
                                              GInetSocketAddress *address,
                                              GError            **error);
/* "http://ADDRESS:PORT/" as listening (the port chosen when 0 was asked
 * for); NULL before listening */
char          *kc_event_server_get_url       (KcEventServer      *self);
guint          kc_event_server_get_n_clients (KcEventServer      *self);

G_END_DECLS
