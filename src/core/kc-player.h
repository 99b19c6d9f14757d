/* kc-player.h: plays one recording file through GStreamer
 *
 * A playbin driven from the default main context: state, position and
 * duration arrive as property notifications, problems as the "error"
 * property in words for the operator. Set KC_AUDIO_SINK to a launch line
 * ("fakesink sync=true") to play somewhere other than the sound card.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

typedef enum
{
  KC_PLAYER_STOPPED,
  KC_PLAYER_LOADING,
  KC_PLAYER_PLAYING,
  KC_PLAYER_PAUSED,
} KcPlayerState;

#define KC_TYPE_PLAYER (kc_player_get_type ())
G_DECLARE_FINAL_TYPE (KcPlayer, kc_player, KC, PLAYER, GObject)

/* GStreamer starts with the first kc_player_open(); when it cannot, the
 * player says so in its "error" property and plays nothing. */
KcPlayer      *kc_player_new          (void);

/* A local file; prerolls paused (LOADING, then PAUSED). */
void           kc_player_open         (KcPlayer   *self,
                                       const char *path);
void           kc_player_play         (KcPlayer   *self);
void           kc_player_pause        (KcPlayer   *self);
/* Back to the start (STOPPED); the file stays open for play. */
void           kc_player_stop         (KcPlayer   *self);
void           kc_player_seek         (KcPlayer   *self,
                                       gint64      position_ns);
/* 0..1, property "volume" */
void           kc_player_set_volume   (KcPlayer   *self,
                                       double      volume);
double         kc_player_get_volume   (KcPlayer   *self);

/* property "state" */
KcPlayerState  kc_player_get_state    (KcPlayer *self);
/* ns; property "position", notified about four times a second while playing */
gint64         kc_player_get_position (KcPlayer *self);
/* ns, or -1 while unknown; property "duration" */
gint64         kc_player_get_duration (KcPlayer *self);
/* Words for a person, NULL when fine; property "error" */
const char    *kc_player_get_error    (KcPlayer *self);

/* Signal "finished": the end of the stream was reached; by then the state
 * is STOPPED and the position back at 0. */

G_END_DECLS
