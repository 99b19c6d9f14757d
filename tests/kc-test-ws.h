/* kc-test-ws.h: a WebSocket client on the test's main loop
 *
 * libsoup's client, as a web page's script or a CRM would be: every text
 * message it receives is kept in order; a refused handshake keeps its HTTP
 * status.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <libsoup/soup.h>

#include "kc-test-util.h"

typedef struct
{
  SoupSession             *session;
  SoupMessage             *handshake;
  SoupWebsocketConnection *conn;
  GPtrArray               *messages; /* char *, text messages in order */
  GError                  *error;    /* the handshake's, when refused */
  guint                    status;   /* the handshake's HTTP status */
  gboolean                 done;     /* the handshake is over, either way */
  gboolean                 closed;
  gushort                  close_code;
} KcTestWs;

static inline void
kc_test_ws_message (SoupWebsocketConnection *conn,
                    SoupWebsocketDataType    type,
                    GBytes                  *message,
                    KcTestWs                *ws)
{
  gsize length;
  const char *data = g_bytes_get_data (message, &length);

  g_assert_cmpint (type, ==, SOUP_WEBSOCKET_DATA_TEXT);
  g_ptr_array_add (ws->messages, g_strndup (data, length));
}

static inline void
kc_test_ws_closed (SoupWebsocketConnection *conn,
                   KcTestWs                *ws)
{
  ws->closed = TRUE;
  ws->close_code = soup_websocket_connection_get_close_code (conn);
}

static inline void
kc_test_ws_connected (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  KcTestWs *ws = user_data;

  ws->conn = soup_session_websocket_connect_finish (SOUP_SESSION (source), result, &ws->error);
  ws->status = soup_message_get_status (ws->handshake);
  ws->done = TRUE;
  if (ws->conn == NULL)
    return;
  /* DevTools answers with messages far over libsoup's default 128 KiB */
  soup_websocket_connection_set_max_incoming_payload_size (ws->conn, 0);
  g_signal_connect (ws->conn, "message", G_CALLBACK (kc_test_ws_message), ws);
  g_signal_connect (ws->conn, "closed", G_CALLBACK (kc_test_ws_closed), ws);
}

/* Starts a handshake with url (ws://...); origin and authorization (the
 * whole header value) may be NULL. Wait for ws->done. */
static inline KcTestWs *
kc_test_ws_connect_async (const char *url,
                          const char *origin,
                          const char *authorization)
{
  KcTestWs *ws = g_new0 (KcTestWs, 1);

  ws->session = soup_session_new ();
  ws->messages = g_ptr_array_new_with_free_func (g_free);
  ws->handshake = soup_message_new ("GET", url);
  g_assert_nonnull (ws->handshake);
  if (authorization)
    soup_message_headers_replace (soup_message_get_request_headers (ws->handshake),
                                  "Authorization", authorization);
  soup_session_websocket_connect_async (ws->session, ws->handshake, origin, NULL,
                                        G_PRIORITY_DEFAULT, NULL, kc_test_ws_connected, ws);
  return ws;
}

/* Connects and asserts that the server took the client */
static inline KcTestWs *
kc_test_ws_connect (const char *url,
                    const char *origin,
                    const char *authorization)
{
  KcTestWs *ws = kc_test_ws_connect_async (url, origin, authorization);

  KC_TEST_WAIT_UNTIL (ws->done, 20);
  g_assert_no_error (ws->error);
  g_assert_nonnull (ws->conn);
  return ws;
}

/* The HTTP status a refused handshake got */
static inline guint
kc_test_ws_refused_status (const char *url,
                           const char *origin,
                           const char *authorization)
{
  KcTestWs *ws = kc_test_ws_connect_async (url, origin, authorization);
  guint status;

  KC_TEST_WAIT_UNTIL (ws->done, 20);
  g_assert_null (ws->conn);
  g_assert_nonnull (ws->error);
  status = ws->status;
  g_clear_error (&ws->error);
  g_object_unref (ws->handshake);
  g_object_unref (ws->session);
  g_ptr_array_unref (ws->messages);
  g_free (ws);
  return status;
}

static inline void
kc_test_ws_send (KcTestWs   *ws,
                 const char *text)
{
  soup_websocket_connection_send_text (ws->conn, text);
}

static inline void
kc_test_ws_free (KcTestWs *ws)
{
  if (ws->conn)
    {
      g_signal_handlers_disconnect_by_data (ws->conn, ws);
      if (soup_websocket_connection_get_state (ws->conn) == SOUP_WEBSOCKET_STATE_OPEN)
        soup_websocket_connection_close (ws->conn, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
      g_object_unref (ws->conn);
    }
  g_clear_error (&ws->error);
  g_object_unref (ws->handshake);
  g_object_unref (ws->session);
  g_ptr_array_unref (ws->messages);
  g_free (ws);
}
