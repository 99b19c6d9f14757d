/* kc-ami-calls.h: the PBX's channels as the Asterisk Manager Interface
 * tells of them, turned into the rows Status.getCalls would list
 *
 * AMI reports each channel as it is created, changes state, is dialled,
 * bridged and hung up. KcAmiCalls keeps the channels alive at the PBX and
 * gives them as rows of the field dialect (shared/kerio-operator-api.md):
 * a row per channel, its Uniqueid as id, the caller's number as FROM, the
 * number dialled or the extension ringing as TO, STATUS "1" once up, "0"
 * before. The tracker then reads them as it reads a poll: one call however
 * many channels, ring groups, answered elsewhere.
 *
 * It also merges what a poll of Status.getCalls says: a call AMI did not
 * see (it began while AMI was down) is added from the poll, and a channel
 * the PBX no longer lists is dropped (its Hangup was lost).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>

#include "kerio/kc-ami-parse.h"

G_BEGIN_DECLS

#define KC_TYPE_AMI_CALLS (kc_ami_calls_get_type ())
G_DECLARE_FINAL_TYPE (KcAmiCalls, kc_ami_calls, KC, AMI_CALLS, GObject)

KcAmiCalls *kc_ami_calls_new          (void);
/* Takes one event in (now: Unix µs); TRUE when the channels changed */
gboolean    kc_ami_calls_handle_event (KcAmiCalls   *self,
                                       KcAmiMessage *event,
                                       gint64        now_us);
/* Forgets every channel: AMI is down, polls alone tell what is going on */
void        kc_ami_calls_clear        (KcAmiCalls   *self);
guint       kc_ami_calls_get_n_channels (KcAmiCalls *self);

/* A poll of Status.getCalls sent at poll_sent_us: channels created before
 * it that it does not list are gone (their Hangup never came); the poll's
 * rows (KcActiveCall, transfer none) become what merge() adds to. */
void        kc_ami_calls_reconcile    (KcAmiCalls   *self,
                                       GPtrArray    *poll_rows,
                                       gint64        poll_sent_us);
/* The rows of the live channels, plus the rows of the last poll that no
 * channel accounts for and that AMI has not seen hang up. -> GPtrArray of
 * KcActiveCall (transfer full) */
GPtrArray  *kc_ami_calls_get_rows     (KcAmiCalls   *self,
                                       gint64        now_us);

G_END_DECLS
