/* kc-event-server.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kc-event-server"

#include "config.h"

#include <libsoup/soup.h>
#include <string.h>
#include <sys/socket.h>

#include "kc-config.h"
#include "kc-event-server.h"
#include "kc-events.h"
#include "kc-web-resources.h"

#define PAGE_RESOURCE "/uz/kerio/Cti/web/events.html"
/* Pings keep idle connections open through proxies and let a vanished
 * peer's connection fail instead of lingering */
#define KEEPALIVE_SECONDS 30
/* Clients have nothing to say; a big message from one is not read */
#define MAX_INCOMING_BYTES 4096
/* The page: no resource from elsewhere, no framing, its own WebSocket only */
#define PAGE_POLICY                                                                      \
  "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "          \
  "connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; "             \
  "frame-ancestors 'none'"

typedef struct _Client Client;

struct _KcEventServer
{
  GObject        parent_instance;

  SoupServer    *soup;
  gboolean       has_token;
  guint8         token_digest[32]; /* SHA-256 of the token, never the token */
  char         **origins;
  KcCallTracker *tracker;
  GPtrArray     *clients;          /* Client, owned by their connection */
  char          *url;
};

G_DEFINE_FINAL_TYPE (KcEventServer, kc_event_server, G_TYPE_OBJECT)

/* --- Clients ----------------------------------------------------------- */

/* One WebSocket client. Its events wait here, not in libsoup's queue, which
 * cannot be measured: they are handed over only while the socket takes
 * data, so libsoup writes each at once and holds a frame at most. */
struct _Client
{
  KcEventServer           *server; /* NULL once the server has gone */
  SoupWebsocketConnection *conn;
  GPollableOutputStream   *output;
  GQueue                   queue;  /* GBytes */
  gsize                    queued; /* their bytes */
  GSource                 *writable;
  char                    *peer;
  gboolean                 dropped;
};

static void
client_clear_queue (Client *client)
{
  g_queue_clear_full (&client->queue, (GDestroyNotify) g_bytes_unref);
  client->queued = 0;
  if (client->writable)
    {
      g_source_destroy (client->writable);
      g_clear_pointer (&client->writable, g_source_unref);
    }
}

static void
client_free (Client *client)
{
  client_clear_queue (client);
  g_signal_handlers_disconnect_by_data (client->conn, client);
  g_object_unref (client->conn);
  g_object_unref (client->output);
  g_free (client->peer);
  g_free (client);
}

static gboolean client_flush (Client *client);

static gboolean
client_writable (GObject  *stream,
                 gpointer  user_data)
{
  Client *client = user_data;

  g_clear_pointer (&client->writable, g_source_unref);
  client_flush (client);
  return G_SOURCE_REMOVE;
}

/* Hands queued events to libsoup while the socket takes them; then waits
 * for it to take more. */
static gboolean
client_flush (Client *client)
{
  while (!g_queue_is_empty (&client->queue))
    {
      g_autoptr (GBytes) event = NULL;

      if (soup_websocket_connection_get_state (client->conn) != SOUP_WEBSOCKET_STATE_OPEN)
        {
          client_clear_queue (client);
          break;
        }
      if (!g_pollable_output_stream_is_writable (client->output))
        {
          if (client->writable == NULL)
            {
              client->writable = g_pollable_output_stream_create_source (client->output, NULL);
              g_source_set_callback (client->writable, G_SOURCE_FUNC (client_writable), client,
                                     NULL);
              g_source_attach (client->writable, NULL);
            }
          return FALSE;
        }
      event = g_queue_pop_head (&client->queue);
      client->queued -= g_bytes_get_size (event);
      soup_websocket_connection_send_message (client->conn, SOUP_WEBSOCKET_DATA_TEXT, event);
    }
  return TRUE;
}

/* libsoup 3.2 sends no close code it does not know, 1013 (try again later)
 * among them; 1008 says the server's rule ended the connection. */
static void
client_drop (Client *client)
{
  g_message ("Dropped the events client at %s: %" G_GSIZE_FORMAT " KiB of events waited for it "
             "to read (close code 1008)",
             client->peer, client->queued / 1024);
  client->dropped = TRUE;
  client_clear_queue (client);
  if (soup_websocket_connection_get_state (client->conn) == SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_close (client->conn, SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION,
                                     "too slow");
}

static void
client_send (Client *client,
             GBytes *event)
{
  if (client->dropped)
    return;
  g_queue_push_tail (&client->queue, g_bytes_ref (event));
  client->queued += g_bytes_get_size (event);
  if (!client_flush (client) && client->queued > KC_EVENT_SERVER_QUEUE_LIMIT)
    client_drop (client);
}

static void
on_client_closed (SoupWebsocketConnection *conn,
                  Client                  *client)
{
  g_debug ("Events client at %s gone", client->peer);
  if (client->server)
    g_ptr_array_remove (client->server->clients, client);
  client_free (client);
}

static void
broadcast (KcEventServer *self,
           char          *text)
{
  g_autoptr (GBytes) event = g_bytes_new_take (text, strlen (text));

  /* A drop may close a connection, but its "closed" comes later, from the
   * main loop: the array does not change under this loop. */
  for (guint i = 0; i < self->clients->len; i++)
    client_send (g_ptr_array_index (self->clients, i), event);
}

/* --- Events ------------------------------------------------------------ */

static void
on_new_call (KcEventServer *self,
             KcCall        *call)
{
  broadcast (self, kc_events_format_announcement (call));
}

static void
on_state_changed (KcEventServer *self,
                  KcCall        *call)
{
  broadcast (self, kc_events_format_status (call));
}

static void
on_synced (KcEventServer *self,
           guint          n_new)
{
  broadcast (self, kc_events_format_sync (n_new, NULL));
}

static void
on_sync_failed (KcEventServer *self,
                GError        *error)
{
  broadcast (self, kc_events_format_sync (0, error));
}

/* --- Who may connect --------------------------------------------------- */

static void
digest (const char *text,
        guint8      out[32])
{
  g_autoptr (GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);
  gsize length = 32;

  g_checksum_update (checksum, (const guchar *) text, -1);
  g_checksum_get_digest (checksum, out, &length);
}

/* In time that does not depend on where the texts differ: the digests have
 * one length whatever the text's */
static gboolean
is_token (KcEventServer *self,
          const char    *text)
{
  guint8 presented[32];
  guint8 difference = 0;

  if (text == NULL)
    return FALSE;
  digest (text, presented);
  for (guint i = 0; i < sizeof presented; i++)
    difference |= presented[i] ^ self->token_digest[i];
  return difference == 0;
}

static gboolean
has_token (KcEventServer     *self,
           SoupServerMessage *msg,
           GHashTable        *query)
{
  const char *authorization;

  if (!self->has_token)
    return TRUE;
  authorization = soup_message_headers_get_one (soup_server_message_get_request_headers (msg),
                                                "Authorization");
  if (authorization && g_ascii_strncasecmp (authorization, "Bearer ", 7) == 0)
    {
      g_autofree char *presented = g_strstrip (g_strdup (authorization + 7));

      if (is_token (self, presented))
        return TRUE;
    }
  return query != NULL && is_token (self, g_hash_table_lookup (query, "token"));
}

/* The origins of the address the client reached: its page's. By address,
 * not by the Host header, which a page under a name rebound to 127.0.0.1
 * would control. */
static gboolean
is_own_origin (SoupServerMessage *msg,
               const char        *origin)
{
  GSocketAddress *local = soup_server_message_get_local_address (msg);
  GInetAddress *address;
  g_autofree char *host = NULL;
  g_autofree char *own = NULL;
  g_autofree char *by_name = NULL;
  guint16 port;

  if (!G_IS_INET_SOCKET_ADDRESS (local))
    return FALSE;
  address = g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (local));
  port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local));
  host = g_inet_address_to_string (address);
  own = g_inet_address_get_family (address) == G_SOCKET_FAMILY_IPV6
          ? g_strdup_printf ("http://[%s]:%u", host, port)
          : g_strdup_printf ("http://%s:%u", host, port);
  if (g_strcmp0 (origin, own) == 0)
    return TRUE;
  by_name = g_strdup_printf ("http://localhost:%u", port);
  return g_inet_address_get_is_loopback (address) && g_strcmp0 (origin, by_name) == 0;
}

static gboolean
has_allowed_origin (KcEventServer     *self,
                    SoupServerMessage *msg)
{
  const char *header = soup_message_headers_get_one (soup_server_message_get_request_headers (msg),
                                                     "Origin");
  g_autofree char *origin = NULL;

  /* Not a browser: what a web site could abuse is a browser */
  if (header == NULL)
    return TRUE;
  origin = kc_config_parse_origin (header);
  if (origin == NULL)
    return FALSE;
  return is_own_origin (msg, origin)
         || (self->origins && g_strv_contains ((const char *const *) self->origins, origin));
}

/* --- HTTP -------------------------------------------------------------- */

static void
respond_text (SoupServerMessage *msg,
              guint              status,
              const char        *text)
{
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "text/plain; charset=utf-8", SOUP_MEMORY_STATIC, text,
                                    strlen (text));
}

static void
serve_page (SoupServerMessage *msg)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  const char *method = soup_server_message_get_method (msg);
  g_autoptr (GBytes) page = NULL;
  g_autoptr (GError) error = NULL;

  if (strcmp (method, "GET") != 0 && strcmp (method, "HEAD") != 0)
    {
      soup_message_headers_replace (headers, "Allow", "GET, HEAD");
      respond_text (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "Method not allowed\n");
      return;
    }
  page = g_resource_lookup_data (kc_web_get_resource (), PAGE_RESOURCE,
                                 G_RESOURCE_LOOKUP_FLAGS_NONE, &error);
  if (page == NULL)
    {
      g_warning ("The events page is missing: %s", error->message);
      respond_text (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, "The events page is missing\n");
      return;
    }
  soup_message_headers_replace (headers, "Content-Security-Policy", PAGE_POLICY);
  soup_message_headers_replace (headers, "X-Content-Type-Options", "nosniff");
  /* The page's address may carry the token */
  soup_message_headers_replace (headers, "Referrer-Policy", "no-referrer");
  soup_message_headers_replace (headers, "Cache-Control", "no-cache");
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, "text/html; charset=utf-8", SOUP_MEMORY_COPY,
                                    g_bytes_get_data (page, NULL), g_bytes_get_size (page));
}

/* Runs before libsoup answers a WebSocket handshake on /events: a status
 * set here refuses it. */
static void
check_events_request (KcEventServer     *self,
                      SoupServerMessage *msg,
                      GHashTable        *query)
{
  GSocket *socket = soup_server_message_get_socket (msg);
  g_autoptr (GError) error = NULL;

  if (!has_allowed_origin (self, msg))
    {
      respond_text (msg, SOUP_STATUS_FORBIDDEN, "This origin may not receive the events\n");
      return;
    }
  if (!has_token (self, msg, query))
    {
      soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                    "WWW-Authenticate", "Bearer realm=\"kerio-cti\"");
      respond_text (msg, SOUP_STATUS_UNAUTHORIZED, "A valid token is needed\n");
      return;
    }
  if (socket
      && !g_socket_set_option (socket, SOL_SOCKET, SO_SNDBUF, KC_EVENT_SERVER_SOCKET_BUFFER,
                               &error))
    g_debug ("Could not size the send buffer: %s", error->message);
  /* The peer, while libsoup still knows it: the handshake takes the
   * connection away from the message. */
  g_object_set_data_full (G_OBJECT (msg), "kc-peer",
                          g_strdup (soup_server_message_get_remote_host (msg)), g_free);
}

static void
handle_request (SoupServer        *soup,
                SoupServerMessage *msg,
                const char        *path,
                GHashTable        *query,
                gpointer           user_data)
{
  if (strcmp (path, "/events") == 0)
    check_events_request (user_data, msg, query);
  else if (strcmp (path, "/") == 0 || strcmp (path, "/events.html") == 0)
    serve_page (msg);
  else
    respond_text (msg, SOUP_STATUS_NOT_FOUND, "Not found\n");
}

static void
on_websocket (SoupServer              *soup,
              SoupServerMessage       *msg,
              const char              *path,
              SoupWebsocketConnection *conn,
              gpointer                 user_data)
{
  KcEventServer *self = user_data;
  Client *client = g_new0 (Client, 1);
  GIOStream *stream = soup_websocket_connection_get_io_stream (conn);
  GListModel *calls;
  guint n;

  client->server = self;
  client->conn = g_object_ref (conn);
  client->output = G_POLLABLE_OUTPUT_STREAM (g_object_ref (g_io_stream_get_output_stream (stream)));
  client->peer = g_strdup (g_object_get_data (G_OBJECT (msg), "kc-peer"));
  g_queue_init (&client->queue);
  soup_websocket_connection_set_max_incoming_payload_size (conn, MAX_INCOMING_BYTES);
  soup_websocket_connection_set_keepalive_interval (conn, KEEPALIVE_SECONDS);
  g_signal_connect (conn, "closed", G_CALLBACK (on_client_closed), client);
  g_ptr_array_add (self->clients, client);
  g_debug ("Events client at %s connected", client->peer);

  if (self->tracker == NULL)
    return;
  calls = kc_call_tracker_get_calls (self->tracker);
  n = g_list_model_get_n_items (calls);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr (KcCall) call = g_list_model_get_item (calls, i);
      char *text = kc_events_format_announcement (call);
      g_autoptr (GBytes) event = g_bytes_new_take (text, strlen (text));

      client_send (client, event);
    }
}

/* --- The object -------------------------------------------------------- */

static void
kc_event_server_dispose (GObject *object)
{
  KcEventServer *self = KC_EVENT_SERVER (object);

  if (self->soup)
    soup_server_disconnect (self->soup);
  g_clear_object (&self->soup);
  /* Each connection closes on its own and then frees its client */
  for (guint i = 0; i < self->clients->len; i++)
    {
      Client *client = g_ptr_array_index (self->clients, i);

      client->server = NULL;
      client_clear_queue (client);
      if (soup_websocket_connection_get_state (client->conn) == SOUP_WEBSOCKET_STATE_OPEN)
        soup_websocket_connection_close (client->conn, SOUP_WEBSOCKET_CLOSE_GOING_AWAY, NULL);
    }
  g_ptr_array_set_size (self->clients, 0);
  g_clear_object (&self->tracker);

  G_OBJECT_CLASS (kc_event_server_parent_class)->dispose (object);
}

static void
kc_event_server_finalize (GObject *object)
{
  KcEventServer *self = KC_EVENT_SERVER (object);

  g_ptr_array_unref (self->clients);
  g_strfreev (self->origins);
  g_free (self->url);

  G_OBJECT_CLASS (kc_event_server_parent_class)->finalize (object);
}

static void
kc_event_server_class_init (KcEventServerClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = kc_event_server_dispose;
  G_OBJECT_CLASS (klass)->finalize = kc_event_server_finalize;
}

static void
kc_event_server_init (KcEventServer *self)
{
  self->clients = g_ptr_array_new ();
}

KcEventServer *
kc_event_server_new (const char        *token,
                     const char *const *origins)
{
  KcEventServer *self = g_object_new (KC_TYPE_EVENT_SERVER, NULL);

  if (token != NULL)
    {
      self->has_token = TRUE;
      digest (token, self->token_digest);
    }
  self->origins = g_strdupv ((char **) origins);
  self->soup = soup_server_new ("server-header", "kerio-cti ", NULL);
  soup_server_add_handler (self->soup, NULL, handle_request, self, NULL);
  soup_server_add_handler (self->soup, "/events", handle_request, self, NULL);
  soup_server_add_websocket_handler (self->soup, "/events", NULL, NULL, on_websocket, self, NULL);
  return self;
}

void
kc_event_server_attach (KcEventServer *self,
                        KcCallTracker *tracker,
                        KcSync        *sync)
{
  g_return_if_fail (KC_IS_EVENT_SERVER (self));
  g_return_if_fail (KC_IS_CALL_TRACKER (tracker));
  g_return_if_fail (KC_IS_SYNC (sync));

  g_set_object (&self->tracker, tracker);
  g_signal_connect_object (tracker, "incoming-call", G_CALLBACK (on_new_call), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (tracker, "outgoing-call", G_CALLBACK (on_new_call), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (tracker, "call-state-changed", G_CALLBACK (on_state_changed), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (sync, "synced", G_CALLBACK (on_synced), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (sync, "failed", G_CALLBACK (on_sync_failed), self,
                           G_CONNECT_SWAPPED);
}

gboolean
kc_event_server_listen (KcEventServer      *self,
                        GInetSocketAddress *address,
                        GError            **error)
{
  GSList *uris;
  gsize length;

  g_return_val_if_fail (KC_IS_EVENT_SERVER (self), FALSE);
  g_return_val_if_fail (self->url == NULL, FALSE);

  if (!soup_server_listen (self->soup, G_SOCKET_ADDRESS (address), 0, error))
    return FALSE;
  uris = soup_server_get_uris (self->soup);
  self->url = g_uri_to_string (uris->data);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  /* "http://" and "/" around the address and port */
  length = strlen (self->url) - strlen ("http://") - 1;
  g_message ("Serving the call events at ws://%.*s/events and their page at %s", (int) length,
             self->url + strlen ("http://"), self->url);
  return TRUE;
}

char *
kc_event_server_get_url (KcEventServer *self)
{
  g_return_val_if_fail (KC_IS_EVENT_SERVER (self), NULL);
  return g_strdup (self->url);
}

guint
kc_event_server_get_n_clients (KcEventServer *self)
{
  g_return_val_if_fail (KC_IS_EVENT_SERVER (self), 0);
  return self->clients->len;
}
