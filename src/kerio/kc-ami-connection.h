/* kc-ami-connection.h: one AMI session, from connect to close (private to
 * KcAmiClient)
 *
 * kc_ami_connection_open() connects, checks the greeting, logs in (MD5
 * challenge; plain Secret only when the server answers the Challenge action
 * with an error) asking for call events only, and from then on hands out
 * events and pings the server. Everything runs on the main context of the
 * thread that opened it; nothing blocks.
 *
 * Signals:
 *   "logged-in" ()                   the login was accepted; events follow
 *   "event" (KcAmiMessage *event)    each event after the login, in order
 *   "closed" (GError *error)         once, when the session ends by itself:
 *                                    refused (KC_KERIO_ERROR_AUTH), not an
 *                                    AMI (NOT_KERIO), over a size limit
 *                                    (TOO_LARGE), a malformed answer
 *                                    (MALFORMED), or connect failed, timed
 *                                    out, dropped, ping unanswered (TRANSPORT)
 *
 * kc_ami_connection_close() ends it from this side without "closed". The
 * object keeps itself alive until its I/O has wound down, so it may be
 * unreffed right after.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "kc-ami-parse.h"

G_BEGIN_DECLS

#define KC_TYPE_AMI_CONNECTION (kc_ami_connection_get_type ())
G_DECLARE_FINAL_TYPE (KcAmiConnection, kc_ami_connection, KC, AMI_CONNECTION, GObject)

/* timeout: seconds for the connect, the greeting, each answer of the
 * login, and the answer to a ping */
KcAmiConnection *kc_ami_connection_new               (const char      *host,
                                                      guint16          port,
                                                      const char      *username,
                                                      const char      *secret,
                                                      guint            timeout);
void             kc_ami_connection_open              (KcAmiConnection *self);
/* Seconds between pings once logged in (0: none) */
void             kc_ami_connection_set_ping_interval (KcAmiConnection *self,
                                                      guint            seconds);
/* The version in the greeting, NULL before it */
const char      *kc_ami_connection_get_version       (KcAmiConnection *self);
/* "host:port", for messages */
const char      *kc_ami_connection_get_address       (KcAmiConnection *self);
/* logoff: when logged in, send Logoff first and close once it is out
 * (bounded by the timeout) */
void             kc_ami_connection_close             (KcAmiConnection *self,
                                                      gboolean         logoff);

G_END_DECLS
