/* kc-ami-client.h: live call events from the PBX's Asterisk Manager
 * Interface
 *
 * Once started, the client keeps one AMI session up: it connects, checks
 * that the server greets as an AMI, logs in with the MD5 challenge (a plain
 * Secret only for a server that offers no challenge), asks for call events
 * only (Events: call) and pings every ping-interval seconds; an unanswered
 * ping ends the session. After a drop it connects again after 1 s, then 2,
 * 4, ... up to KC_AMI_RECONNECT_MAX seconds between tries (back to 1 s once
 * a session has stayed up KC_AMI_STABLE_SESSION seconds).
 *
 * A refused login is not retried in a loop: the state becomes
 * KC_AMI_STATE_REFUSED with the server's message in last-error, and the
 * client tries again only when the credentials are set again (changed or
 * not: the administrator may have fixed the PBX side), or after
 * KC_AMI_LOGIN_RETRY_DELAY seconds. stop() logs off.
 *
 * Errors are KC_KERIO_ERROR: TRANSPORT (connect, drop, timeout, unanswered
 * ping), NOT_KERIO (the server is not an AMI), AUTH (login refused),
 * TOO_LARGE (a line or message over the parser's limits), MALFORMED.
 *
 * Events arrive in the order the server sent them, through the "event"
 * signal: (KcAmiClient *client, KcAmiMessage *event). Keys are read without
 * regard to case: kc_ami_message_get (event, "Channel").
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "kc-ami-parse.h"
#include "kc-kerio-error.h"

G_BEGIN_DECLS

#define KC_AMI_DEFAULT_PORT 5038
#define KC_AMI_DEFAULT_PING_INTERVAL 20
#define KC_AMI_DEFAULT_TIMEOUT 10
#define KC_AMI_RECONNECT_MIN 1
#define KC_AMI_RECONNECT_MAX 30
#define KC_AMI_STABLE_SESSION 60
/* A refused login is tried again after this long (seconds) at the
 * earliest, unless the credentials are set again */
#define KC_AMI_LOGIN_RETRY_DELAY 300

typedef enum
{
  KC_AMI_STATE_DISCONNECTED, /* stopped, or waiting to connect again */
  KC_AMI_STATE_CONNECTING,   /* connect, greeting, login under way */
  KC_AMI_STATE_CONNECTED,    /* logged in: events flow */
  KC_AMI_STATE_REFUSED,      /* the server refused the login */
} KcAmiState;

#define KC_TYPE_AMI_STATE (kc_ami_state_get_type ())
GType        kc_ami_state_get_type           (void) G_GNUC_CONST;

#define KC_TYPE_AMI_CLIENT (kc_ami_client_get_type ())
G_DECLARE_FINAL_TYPE (KcAmiClient, kc_ami_client, KC, AMI_CLIENT, GObject)

/* port 0: KC_AMI_DEFAULT_PORT */
KcAmiClient *kc_ami_client_new               (const char  *host,
                                              guint16      port,
                                              const char  *username,
                                              const char  *secret);
const char  *kc_ami_client_get_host          (KcAmiClient *self);
guint16      kc_ami_client_get_port          (KcAmiClient *self);
/* Takes effect at once: a session under way (or a refusal) starts over
 * with these credentials */
void         kc_ami_client_set_credentials   (KcAmiClient *self,
                                              const char  *username,
                                              const char  *secret);
/* Seconds between pings (default KC_AMI_DEFAULT_PING_INTERVAL) */
void         kc_ami_client_set_ping_interval (KcAmiClient *self,
                                              guint        seconds);
/* Seconds allowed for the connect, the greeting, each answer of the login
 * and the answer to a ping (default KC_AMI_DEFAULT_TIMEOUT) */
void         kc_ami_client_set_timeout       (KcAmiClient *self,
                                              guint        seconds);

void         kc_ami_client_start             (KcAmiClient *self);
/* Logs off and stays disconnected until started again */
void         kc_ami_client_stop              (KcAmiClient *self);

/* Property "state", with notify */
KcAmiState   kc_ami_client_get_state         (KcAmiClient *self);
/* Why the last session ended or could not start; NULL after a login
 * succeeded. Property "last-error" holds its message. */
const GError *kc_ami_client_get_error        (KcAmiClient *self);
/* The AMI version from the server's greeting ("1.3", "7.0.3"); NULL
 * before the first greeting. Property "version". */
const char  *kc_ami_client_get_version       (KcAmiClient *self);

/* A one-shot check with the client's host, port, credentials and timeout,
 * apart from its own session: connect, greeting, login, logoff. Returns
 * the AMI version from the greeting (transfer full), or NULL with the
 * error the session would have met. */
void         kc_ami_client_test_async        (KcAmiClient          *self,
                                              GCancellable         *cancellable,
                                              GAsyncReadyCallback   callback,
                                              gpointer              user_data);
char        *kc_ami_client_test_finish       (KcAmiClient          *self,
                                              GAsyncResult         *result,
                                              GError              **error);

G_END_DECLS
