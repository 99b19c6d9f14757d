/* kc-dashboard-page.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kc-dashboard-page"

#include "config.h"

#include <adwaita.h>
#include <glib/gi18n.h>

#include "kc-call-back-list.h"
#include "kc-dashboard-page.h"
#include "kc-day-figures.h"

struct _KcDashboardPage
{
  GtkWidget           parent_instance;

  GtkWidget          *box;
  GtkImage           *status_icon;
  GtkLabel           *status_label;
  GtkLabel           *error_label;
  GtkLabel           *history_label;
  GtkStack           *stack;
  GtkListView        *list_view;
  KcCallBackList     *call_backs;
  KcDayFigures       *figures;

  KcCallTracker      *tracker;
  KcSync             *sync;
  KcCallerContext    *context;
  GtkSingleSelection *selection;
  GHashTable         *bound_rows; /* GtkListItem -> NULL: rows whose duration ticks */
  guint               tick;
};

G_DEFINE_FINAL_TYPE (KcDashboardPage, kc_dashboard_page, GTK_TYPE_WIDGET)

char *
kc_format_duration (gint64 seconds)
{
  seconds = MAX (seconds, 0);
  if (seconds >= 3600)
    return g_strdup_printf ("%" G_GINT64_FORMAT ":%02d:%02d", seconds / 3600,
                            (int) (seconds / 60 % 60), (int) (seconds % 60));
  return g_strdup_printf ("%" G_GINT64_FORMAT ":%02d", seconds / 60, (int) (seconds % 60));
}

static const char *
state_label (KcCallState state)
{
  switch (state)
    {
    case KC_CALL_STATE_RINGING:
      return _("Ringing");
    case KC_CALL_STATE_TALKING:
      return _("Talking");
    case KC_CALL_STATE_FINISHED:
      return _("Ended");
    case KC_CALL_STATE_MISSED:
    default:
      return _("Missed");
    }
}

/* Row widgets, found again by name on bind */
enum { ROW_ICON, ROW_NUMBER, ROW_NAME, ROW_HISTORY, ROW_STATE, ROW_DURATION, N_ROW_PARTS };

static void
update_row_duration (GtkListItem *item)
{
  KcCall *call = gtk_list_item_get_item (item);
  GtkWidget **parts = g_object_get_data (G_OBJECT (item), "parts");
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  g_autofree char *text = NULL;

  if (call == NULL || parts == NULL)
    return;
  /* From the PBX's own start time, so every operator sees the same figure */
  text = kc_format_duration (now - kc_call_get_start_time (call));
  gtk_label_set_text (GTK_LABEL (parts[ROW_DURATION]), text);
}

static void
update_row (GtkListItem *item)
{
  KcCall *call = gtk_list_item_get_item (item);
  GtkWidget **parts = g_object_get_data (G_OBJECT (item), "parts");
  KcDashboardPage *self = g_object_get_data (G_OBJECT (item), "page");
  gboolean incoming = kc_call_get_direction (call) == KC_DIRECTION_INCOMING;
  const char *number = incoming ? kc_call_get_from_number (call) : kc_call_get_to_number (call);
  const char *pbx_name = incoming ? kc_call_get_from_name (call) : kc_call_get_to_name (call);
  g_autofree char *name = self->context ? kc_caller_context_get_name (self->context, number,
                                                                      pbx_name)
                                        : g_strdup (pbx_name);
  const char *history = self->context ? kc_caller_context_describe_call (self->context, call)
                                       : NULL;
  g_autofree char *detail = NULL;

  gtk_image_set_from_icon_name (GTK_IMAGE (parts[ROW_ICON]),
                                incoming ? "call-incoming-symbolic" : "call-outgoing-symbolic");
  gtk_widget_set_tooltip_text (parts[ROW_ICON], incoming ? _("Incoming") : _("Outgoing"));
  gtk_label_set_text (GTK_LABEL (parts[ROW_NUMBER]), number);
  if (name && *name)
    /* TRANSLATORS: under the other party's number: their name, then the operator's extension */
    detail = g_strdup_printf (incoming ? _("%s · incoming to %s") : _("%s · outgoing from %s"),
                              name, kc_call_get_extension (call));
  else
    detail = g_strdup_printf (incoming ? _("Incoming to %s") : _("Outgoing from %s"),
                              kc_call_get_extension (call));
  gtk_label_set_text (GTK_LABEL (parts[ROW_NAME]), detail);
  gtk_label_set_text (GTK_LABEL (parts[ROW_HISTORY]), history);
  gtk_widget_set_visible (parts[ROW_HISTORY], history != NULL);
  gtk_label_set_text (GTK_LABEL (parts[ROW_STATE]), state_label (kc_call_get_state (call)));
  if (kc_call_get_state (call) == KC_CALL_STATE_RINGING)
    gtk_widget_add_css_class (parts[ROW_STATE], "ringing");
  else
    gtk_widget_remove_css_class (parts[ROW_STATE], "ringing");
  update_row_duration (item);
}

static void
setup_row (GtkSignalListItemFactory *factory,
           GtkListItem              *item,
           KcDashboardPage          *self)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  GtkWidget *text = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  GtkWidget **parts = g_new0 (GtkWidget *, N_ROW_PARTS);

  gtk_widget_set_margin_top (box, 6);
  gtk_widget_set_margin_bottom (box, 6);
  parts[ROW_ICON] = gtk_image_new ();
  parts[ROW_NUMBER] = gtk_label_new (NULL);
  parts[ROW_NAME] = gtk_label_new (NULL);
  parts[ROW_HISTORY] = gtk_label_new (NULL);
  parts[ROW_STATE] = gtk_label_new (NULL);
  parts[ROW_DURATION] = gtk_label_new (NULL);

  gtk_label_set_xalign (GTK_LABEL (parts[ROW_NUMBER]), 0);
  gtk_label_set_selectable (GTK_LABEL (parts[ROW_NUMBER]), TRUE);
  gtk_widget_add_css_class (parts[ROW_NUMBER], "heading");
  gtk_label_set_xalign (GTK_LABEL (parts[ROW_NAME]), 0);
  gtk_label_set_ellipsize (GTK_LABEL (parts[ROW_NAME]), PANGO_ELLIPSIZE_END);
  gtk_widget_add_css_class (parts[ROW_NAME], "dim-label");
  gtk_widget_add_css_class (parts[ROW_NAME], "caption");
  gtk_label_set_xalign (GTK_LABEL (parts[ROW_HISTORY]), 0);
  gtk_label_set_wrap (GTK_LABEL (parts[ROW_HISTORY]), TRUE);
  gtk_widget_add_css_class (parts[ROW_HISTORY], "dim-label");
  gtk_widget_add_css_class (parts[ROW_HISTORY], "caption");
  gtk_widget_add_css_class (parts[ROW_STATE], "call-state");
  gtk_widget_set_valign (parts[ROW_STATE], GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (parts[ROW_DURATION], "numeric");
  gtk_label_set_width_chars (GTK_LABEL (parts[ROW_DURATION]), 5);
  gtk_label_set_xalign (GTK_LABEL (parts[ROW_DURATION]), 1);

  gtk_widget_set_hexpand (text, TRUE);
  gtk_box_append (GTK_BOX (text), parts[ROW_NUMBER]);
  gtk_box_append (GTK_BOX (text), parts[ROW_NAME]);
  gtk_box_append (GTK_BOX (text), parts[ROW_HISTORY]);
  gtk_box_append (GTK_BOX (box), parts[ROW_ICON]);
  gtk_box_append (GTK_BOX (box), text);
  gtk_box_append (GTK_BOX (box), parts[ROW_STATE]);
  gtk_box_append (GTK_BOX (box), parts[ROW_DURATION]);

  g_object_set_data_full (G_OBJECT (item), "parts", parts, g_free);
  g_object_set_data (G_OBJECT (item), "page", self);
  gtk_list_item_set_child (item, box);
}

static void
on_call_state (GtkListItem *item)
{
  update_row (item);
}

static void
bind_row (GtkSignalListItemFactory *factory,
          GtkListItem              *item,
          KcDashboardPage          *self)
{
  KcCall *call = gtk_list_item_get_item (item);

  update_row (item);
  g_signal_connect_object (call, "notify::state", G_CALLBACK (on_call_state), item,
                           G_CONNECT_SWAPPED);
  g_hash_table_add (self->bound_rows, item);
}

static void
unbind_row (GtkSignalListItemFactory *factory,
            GtkListItem              *item,
            KcDashboardPage          *self)
{
  KcCall *call = gtk_list_item_get_item (item);

  g_signal_handlers_disconnect_by_func (call, on_call_state, item);
  g_hash_table_remove (self->bound_rows, item);
}

static gboolean
tick (gpointer user_data)
{
  KcDashboardPage *self = user_data;
  GHashTableIter iter;
  gpointer item;

  g_hash_table_iter_init (&iter, self->bound_rows);
  while (g_hash_table_iter_next (&iter, &item, NULL))
    update_row_duration (item);
  return G_SOURCE_CONTINUE;
}

static void
update_visible_page (KcDashboardPage *self)
{
  guint n = self->selection ? g_list_model_get_n_items (G_LIST_MODEL (self->selection)) : 0;

  gtk_stack_set_visible_child_name (self->stack, n > 0 ? "list" : "empty");
  /* Durations tick only while there is something to tick. */
  if (n > 0 && self->tick == 0)
    self->tick = g_timeout_add_seconds (1, tick, self);
  else if (n == 0)
    g_clear_handle_id (&self->tick, g_source_remove);
}

/* The PBX can be there and still not let us in: then waiting does not help
 * and the headline says what the operator (or an administrator) must fix.
 * The line under it gives the details. */
static const char *
error_headline (KcDashboardPage *self)
{
  switch (kc_call_tracker_get_last_error_code (self->tracker))
    {
    case KC_KERIO_ERROR_AUTH:
      return _("Kerio Operator does not accept the user name or password. Check them in "
               "Preferences.");
    case KC_KERIO_ERROR_TLS:
      return _("The PBX's certificate is not trusted. Check it in Preferences.");
    case KC_KERIO_ERROR_NOT_KERIO:
      return _("The server is not a Kerio Operator. Check its address in Preferences.");
    case KC_KERIO_ERROR_FAILED:
    case KC_KERIO_ERROR_TRANSPORT:
    case KC_KERIO_ERROR_HTTP:
    case KC_KERIO_ERROR_MALFORMED:
    case KC_KERIO_ERROR_TOO_LARGE:
    case KC_KERIO_ERROR_RPC:
    case KC_KERIO_ERROR_SESSION_EXPIRED:
    case KC_KERIO_ERROR_FORBIDDEN:
    case KC_KERIO_ERROR_NOT_FOUND:
    default:
      return _("Kerio Operator cannot be reached; trying again. Calls already on screen are "
               "kept.");
    }
}

static void
update_connection (KcDashboardPage *self)
{
  const char *error = kc_call_tracker_get_last_error (self->tracker);
  g_autofree char *ami_text = NULL;

  switch (kc_call_tracker_get_connection_state (self->tracker))
    {
    case KC_CONNECTION_CONNECTED:
      gtk_image_set_from_icon_name (self->status_icon, "network-transmit-receive-symbolic");
      /* Which source tells of the calls: AMI at once, or a poll every few
       * seconds */
      if (kc_call_tracker_get_live_source (self->tracker) == KC_LIVE_SOURCE_AMI)
        gtk_label_set_text (self->status_label,
                            _("Connected to Kerio Operator, with instant pop-ups (AMI)"));
      else
        gtk_label_set_text (self->status_label, _("Connected to Kerio Operator"));
      break;
    case KC_CONNECTION_ERROR:
      gtk_image_set_from_icon_name (self->status_icon, "network-error-symbolic");
      gtk_label_set_text (self->status_label, error_headline (self));
      break;
    case KC_CONNECTION_CONNECTING:
    default:
      gtk_image_set_from_icon_name (self->status_icon, "network-idle-symbolic");
      gtk_label_set_text (self->status_label, _("Connecting to Kerio Operator…"));
      break;
    }
  if (error == NULL)
    {
      KcAmiClient *ami = kc_call_tracker_get_ami (self->tracker);
      const GError *ami_error = ami ? kc_ami_client_get_error (ami) : NULL;

      /* AMI was asked for and is not there: the calls come by polling */
      if (ami_error && kc_call_tracker_get_live_source (self->tracker) != KC_LIVE_SOURCE_AMI)
        ami_text = g_strdup_printf (_("Instant pop-ups (AMI) are off: %s"), ami_error->message);
    }
  gtk_label_set_text (self->error_label, error ? error : ami_text ? ami_text : "");
  gtk_widget_set_visible (GTK_WIDGET (self->error_label), error != NULL || ami_text != NULL);
}

/* A history that cannot be written is this computer's problem, which the
 * operator can fix and the connection state does not show; the PBX's own
 * failures are the connection's. */
void
kc_dashboard_page_show_sync_failure (KcDashboardPage *self,
                                     const GError    *error)
{
  g_autofree char *text = NULL;

  g_return_if_fail (KC_IS_DASHBOARD_PAGE (self));
  g_return_if_fail (error != NULL);

  if (error->domain != KC_STORE_ERROR)
    return;
  if (error->code == KC_STORE_ERROR_FULL)
    text = g_strdup (_("The call history cannot be saved: the disk is full. Calls still show "
                       "here, and the history catches up once there is space again."));
  else if (error->code == KC_STORE_ERROR_BUSY)
    text = g_strdup (_("The call history is locked by another program. The next sync tries "
                       "again."));
  else
    text = g_strdup_printf (_("The call history cannot be saved: %s"), error->message);
  gtk_label_set_text (self->history_label, text);
  gtk_widget_set_visible (GTK_WIDGET (self->history_label), TRUE);
}

static void
on_synced (KcDashboardPage *self)
{
  gtk_widget_set_visible (GTK_WIDGET (self->history_label), FALSE);
}

void
kc_dashboard_page_set_sync (KcDashboardPage *self,
                            KcSync          *sync)
{
  g_return_if_fail (KC_IS_DASHBOARD_PAGE (self));
  g_return_if_fail (KC_IS_SYNC (sync));

  if (self->sync)
    g_signal_handlers_disconnect_by_data (self->sync, self);
  g_set_object (&self->sync, sync);
  on_synced (self);
  g_signal_connect_object (sync, "failed", G_CALLBACK (kc_dashboard_page_show_sync_failure), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (sync, "synced", G_CALLBACK (on_synced), self, G_CONNECT_SWAPPED);
}

void
kc_dashboard_page_set_tracker (KcDashboardPage *self,
                               KcCallTracker   *tracker)
{
  g_return_if_fail (KC_IS_DASHBOARD_PAGE (self));
  g_return_if_fail (KC_IS_CALL_TRACKER (tracker));

  if (self->tracker)
    g_signal_handlers_disconnect_by_data (self->tracker, self);
  g_set_object (&self->tracker, tracker);

  g_clear_object (&self->selection);
  self->selection = gtk_single_selection_new (g_object_ref (kc_call_tracker_get_calls (tracker)));
  gtk_single_selection_set_autoselect (self->selection, FALSE);
  gtk_single_selection_set_can_unselect (self->selection, TRUE);
  gtk_list_view_set_model (self->list_view, GTK_SELECTION_MODEL (self->selection));
  g_signal_connect_object (self->selection, "items-changed", G_CALLBACK (update_visible_page),
                           self, G_CONNECT_SWAPPED);

  g_signal_connect_object (tracker, "notify::connection-state", G_CALLBACK (update_connection),
                           self, G_CONNECT_SWAPPED);
  g_signal_connect_object (tracker, "notify::live-source", G_CALLBACK (update_connection), self,
                           G_CONNECT_SWAPPED);
  if (kc_call_tracker_get_ami (tracker))
    g_signal_connect_object (kc_call_tracker_get_ami (tracker), "notify::last-error",
                             G_CALLBACK (update_connection), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (tracker, "notify::last-error", G_CALLBACK (update_connection), self,
                           G_CONNECT_SWAPPED);
  update_connection (self);
  update_visible_page (self);
}

void
kc_dashboard_page_set_follow_up (KcDashboardPage *self,
                                 KcFollowUp      *follow_up)
{
  g_return_if_fail (KC_IS_DASHBOARD_PAGE (self));
  g_return_if_fail (KC_IS_FOLLOW_UP (follow_up));

  kc_call_back_list_set_follow_up (self->call_backs, follow_up);
  kc_day_figures_set_follow_up (self->figures, follow_up);
}

/* The CRM's name arrived (NUMBER NULL: any number's): the rows show it */
static void
on_name_changed (KcDashboardPage *self,
                 const char      *number)
{
  GHashTableIter iter;
  gpointer item;

  g_hash_table_iter_init (&iter, self->bound_rows);
  while (g_hash_table_iter_next (&iter, &item, NULL))
    {
      KcCall *call = gtk_list_item_get_item (item);

      if (number == NULL || g_strcmp0 (kc_call_get_from_number (call), number) == 0 ||
          g_strcmp0 (kc_call_get_to_number (call), number) == 0)
        update_row (item);
    }
}

void
kc_dashboard_page_set_caller_context (KcDashboardPage *self,
                                      KcCallerContext *context)
{
  GHashTableIter iter;
  gpointer item;

  g_return_if_fail (KC_IS_DASHBOARD_PAGE (self));
  g_return_if_fail (KC_IS_CALLER_CONTEXT (context));

  if (self->context)
    g_signal_handlers_disconnect_by_data (self->context, self);
  g_set_object (&self->context, context);
  g_signal_connect_object (context, "name-changed", G_CALLBACK (on_name_changed), self,
                           G_CONNECT_SWAPPED);
  /* Rows bound before it came */
  g_hash_table_iter_init (&iter, self->bound_rows);
  while (g_hash_table_iter_next (&iter, &item, NULL))
    update_row (item);
}

gboolean
kc_dashboard_page_select_call (KcDashboardPage *self,
                               const char      *call_id)
{
  GListModel *model;
  guint n;

  g_return_val_if_fail (KC_IS_DASHBOARD_PAGE (self), FALSE);

  if (self->selection == NULL)
    return FALSE;
  model = G_LIST_MODEL (self->selection);
  n = g_list_model_get_n_items (model);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr (KcCall) call = g_list_model_get_item (model, i);

      if (g_strcmp0 (kc_call_get_call_id (call), call_id) == 0)
        {
          gtk_single_selection_set_selected (self->selection, i);
          gtk_widget_activate_action (GTK_WIDGET (self->list_view), "list.scroll-to-item", "u", i);
          return TRUE;
        }
    }
  return FALSE;
}

static void
kc_dashboard_page_dispose (GObject *object)
{
  KcDashboardPage *self = KC_DASHBOARD_PAGE (object);

  g_clear_handle_id (&self->tick, g_source_remove);
  gtk_widget_dispose_template (GTK_WIDGET (self), KC_TYPE_DASHBOARD_PAGE);
  g_clear_object (&self->selection);
  if (self->tracker)
    g_signal_handlers_disconnect_by_data (self->tracker, self);
  g_clear_object (&self->tracker);
  if (self->sync)
    g_signal_handlers_disconnect_by_data (self->sync, self);
  g_clear_object (&self->sync);
  if (self->context)
    g_signal_handlers_disconnect_by_data (self->context, self);
  g_clear_object (&self->context);
  g_clear_pointer (&self->bound_rows, g_hash_table_unref);

  G_OBJECT_CLASS (kc_dashboard_page_parent_class)->dispose (object);
}

static void
kc_dashboard_page_class_init (KcDashboardPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = kc_dashboard_page_dispose;

  g_type_ensure (KC_TYPE_CALL_BACK_LIST);
  g_type_ensure (KC_TYPE_DAY_FIGURES);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/uz/kerio/Cti/kc-dashboard-page.ui");
  /* Bound so that gtk_widget_dispose_template() unparents it */
  gtk_widget_class_bind_template_child (widget_class, KcDashboardPage, box);
  gtk_widget_class_bind_template_child (widget_class, KcDashboardPage, status_icon);
  gtk_widget_class_bind_template_child (widget_class, KcDashboardPage, status_label);
  gtk_widget_class_bind_template_child (widget_class, KcDashboardPage, error_label);
  gtk_widget_class_bind_template_child (widget_class, KcDashboardPage, history_label);
  gtk_widget_class_bind_template_child (widget_class, KcDashboardPage, stack);
  gtk_widget_class_bind_template_child (widget_class, KcDashboardPage, list_view);
  gtk_widget_class_bind_template_child (widget_class, KcDashboardPage, call_backs);
  gtk_widget_class_bind_template_child (widget_class, KcDashboardPage, figures);
}

static void
kc_dashboard_page_init (KcDashboardPage *self)
{
  GtkListItemFactory *factory = gtk_signal_list_item_factory_new ();

  self->bound_rows = g_hash_table_new (NULL, NULL);
  gtk_widget_init_template (GTK_WIDGET (self));

  g_signal_connect (factory, "setup", G_CALLBACK (setup_row), self);
  g_signal_connect (factory, "bind", G_CALLBACK (bind_row), self);
  g_signal_connect (factory, "unbind", G_CALLBACK (unbind_row), self);
  gtk_list_view_set_factory (self->list_view, factory);
  g_object_unref (factory);
}
