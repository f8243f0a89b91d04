/* SPDX-License-Identifier: Apache-2.0 */
/*
 * usbemu.c - emulated tlpu boards behind usbdevfs (tlpu/usbemu.h).
 *
 * Each board is a device node /dev/bus/usb/001/NNN whose ioctls umockdev
 * hands to on_ioctl() below (in umockdev's handler thread). URBs queue per
 * endpoint, as the kernel's do; pump() moves their bytes packet by packet
 * through the board's USB glue (tlpu_usbd): an OUT packet the glue cannot
 * take yet is NAKed and retried later, an IN transfer waits for a reply.
 * Finished URBs wait in a queue for REAPURB(NDELAY). One lock guards every
 * board: the handler thread holds it while it handles an ioctl, the API
 * (faults, statistics, unplugging) while it looks at a board.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/usbdevice_fs.h>
#include <time.h>
#include <unistd.h>
#include <umockdev.h>

#include "tlpu/tlpu.h"
#include "tlpu/usb_desc.h"
#include "tlpu/usbd.h"
#include "tlpu/usbemu.h"

#define MAX_BOARDS 16
#define MAX_FAULTS 32

typedef struct urb {
    UMockdevIoctlData *data; /* the client's struct usbdevfs_urb, held until reaped */
    UMockdevIoctlData *buf;  /* its buffer */
    struct usbdevfs_urb *u;  /* data->data */
    int off;                 /* bytes moved */
    int zlp_done;
    int held;                /* TIMEOUT: not served until the host discards it */
    int fault;               /* an armed tlpu_usbemu_fault, or -1 */
    struct urb *next;
} urb;

typedef struct fifo {
    urb *head, *tail;
} fifo;

typedef struct fault_arm {
    int kind;
    uint8_t ep;
    unsigned nth;
} fault_arm;

typedef struct board {
    tlpu_usbemu *e;
    int id, gone, removed;
    char devnode[64], syspath[160], serial[64];
    UMockdevIoctlBase *handler;
    tlpu_dev *core;
    fifo outq, inq, doneq;
    fault_arm faults[MAX_FAULTS];
    int nfaults;
    unsigned submitted_out, submitted_in;
    tlpu_usbemu_stats st;
    tlpu_usbd usbd; /* last: it is large */
} board;

struct tlpu_usbemu {
    UMockdevTestbed *tb;
    GMutex lock;
    board *b[MAX_BOARDS];
    int nboards;
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void push(fifo *q, urb *r)
{
    r->next = NULL;
    if (q->tail)
        q->tail->next = r;
    else
        q->head = r;
    q->tail = r;
}

static urb *pop(fifo *q)
{
    urb *r = q->head;
    if (r) {
        q->head = r->next;
        if (!q->head)
            q->tail = NULL;
    }
    return r;
}

/* removes r from q (it is there) */
static void unlink_urb(fifo *q, urb *r)
{
    urb **pp = &q->head, *prev = NULL;
    while (*pp != r) {
        prev = *pp;
        pp = &(*pp)->next;
    }
    *pp = r->next;
    if (q->tail == r)
        q->tail = prev;
}

static void finish(board *b, fifo *q, urb *r, int status)
{
    unlink_urb(q, r);
    r->u->status = status;
    r->u->actual_length = r->off;
    push(&b->doneq, r);
}

static void free_urb(urb *r)
{
    if (r->buf)
        g_object_unref(r->buf);
    g_object_unref(r->data);
    free(r);
}

/* the board's firmware: one request into the core device behind it */
static size_t fw_handle(void *ctx, const uint8_t *req, size_t len, uint8_t *reply, size_t cap)
{
    board *b = ctx;
    double t0 = now_s();
    size_t n = 0;
    if (tlpu_debug_raw(b->core, req, len, reply, cap, &n) != TLPU_OK)
        n = 0;
    b->st.fw_s += now_s() - t0;
    return n;
}

/* ---- moving bytes ------------------------------------------------------------------- */

static void fail_queue(board *b, fifo *q, int status)
{
    while (q->head)
        finish(b, q, q->head, status);
}

static int pump_out(board *b)
{
    urb *r = b->outq.head;
    if (!r || r->held)
        return 0;
    const int mps = b->usbd.mps, len = r->u->buffer_length;
    static const uint8_t none[1];
    const uint8_t *buf = r->buf ? r->buf->data : none;
    if (r->fault == TLPU_USBEMU_STALL) {
        r->fault = -1;
        tlpu_usbd_halt(&b->usbd, TLPU_USB_EP_OUT);
    }
    const int half = (len / 2) / mps * mps; /* ERROR: whole packets up to half, then -EPROTO */
    int progress = 0;
    for (;;) {
        if (r->fault == TLPU_USBEMU_ERROR && r->off >= half) {
            finish(b, &b->outq, r, -EPROTO);
            b->st.faults++;
            return 1;
        }
        const int left = len - r->off;
        const int want_zlp = (r->u->flags & USBDEVFS_URB_ZERO_PACKET) || len == 0;
        if (left == 0 && len > 0 && (!want_zlp || r->zlp_done)) {
            finish(b, &b->outq, r, 0);
            return 1;
        }
        const int c = left < mps ? left : mps;
        enum tlpu_usbd_hs hs = tlpu_usbd_out(&b->usbd, buf + r->off, (size_t)c);
        if (hs == TLPU_USBD_NAK)
            return progress;
        if (hs == TLPU_USBD_STALL) {
            fail_queue(b, &b->outq, -EPIPE); /* the halted endpoint fails them all */
            return 1;
        }
        progress = 1;
        r->off += c;
        b->st.bulk_out_bytes += (uint64_t)c;
        if (c == 0)
            r->zlp_done = 1;
        if (c < mps) { /* a short packet ends the transfer */
            finish(b, &b->outq, r, 0);
            return 1;
        }
    }
}

static int pump_in(board *b)
{
    urb *r = b->inq.head;
    if (!r || r->held)
        return 0;
    const int mps = b->usbd.mps, len = r->u->buffer_length;
    uint8_t *buf = r->buf ? r->buf->data : NULL;
    uint8_t pkt[1024];
    if (r->fault == TLPU_USBEMU_STALL) {
        r->fault = -1;
        tlpu_usbd_halt(&b->usbd, TLPU_USB_EP_IN);
    }
    int progress = 0;
    for (;;) {
        size_t n = 0;
        enum tlpu_usbd_hs hs = tlpu_usbd_in(&b->usbd, pkt, &n);
        if (hs == TLPU_USBD_NAK)
            return progress;
        if (hs == TLPU_USBD_STALL) {
            fail_queue(b, &b->inq, -EPIPE);
            return 1;
        }
        progress = 1;
        if ((int)n > len - r->off) { /* more than the buffer holds: babble */
            finish(b, &b->inq, r, -EOVERFLOW);
            return 1;
        }
        if (n)
            memcpy(buf + r->off, pkt, n);
        r->off += (int)n;
        b->st.bulk_in_bytes += n;
        if ((int)n < mps || r->off == len) {
            if (r->fault == TLPU_USBEMU_ERROR) { /* the reply is lost */
                r->off = 0;
                b->st.faults++;
                finish(b, &b->inq, r, -EPROTO);
            } else {
                if (r->fault == TLPU_USBEMU_SHORT) {
                    r->off /= 2;
                    b->st.faults++;
                }
                finish(b, &b->inq, r, 0);
            }
            return 1;
        }
    }
}

static void pump(board *b)
{
    for (int progress = 1; progress;) {
        progress = pump_out(b);
        progress |= tlpu_usbd_poll(&b->usbd);
        progress |= pump_in(b);
    }
}

/* ---- unplugging --------------------------------------------------------------------- */

static void go_away(board *b)
{
    if (b->gone)
        return;
    b->gone = 1;
    fail_queue(b, &b->outq, -ESHUTDOWN);
    fail_queue(b, &b->inq, -ESHUTDOWN);
}

static void remove_node(board *b)
{
    if (b->removed)
        return;
    b->removed = 1;
    umockdev_testbed_remove_device(b->e->tb, b->syspath);
}

/* ---- the ioctls ---------------------------------------------------------------------- */

static void complete(UMockdevIoctlClient *c, long res, int err)
{
    umockdev_ioctl_client_complete(c, res, err);
}

static int take_fault(board *b, uint8_t ep)
{
    unsigned count = ep == TLPU_USB_EP_OUT ? ++b->submitted_out : ++b->submitted_in;
    for (int i = 0; i < b->nfaults; i++)
        if (b->faults[i].ep == ep && b->faults[i].nth == count) {
            int kind = b->faults[i].kind;
            b->faults[i] = b->faults[--b->nfaults];
            return kind;
        }
    return -1;
}

static void submit_urb(board *b, UMockdevIoctlClient *c, UMockdevIoctlData *arg)
{
    UMockdevIoctlData *data = umockdev_ioctl_data_resolve(arg, 0, sizeof(struct usbdevfs_urb),
                                                          NULL);
    if (!data) {
        complete(c, -1, EFAULT);
        return;
    }
    struct usbdevfs_urb *u = (struct usbdevfs_urb *)data->data;
    if (u->buffer_length < 0 || u->buffer_length > (1 << 20)) {
        g_object_unref(data);
        complete(c, -1, EINVAL);
        return;
    }
    UMockdevIoctlData *buf = NULL; /* none for a zero-length transfer */
    if (u->buffer_length > 0)
        buf = umockdev_ioctl_data_resolve(data, G_STRUCT_OFFSET(struct usbdevfs_urb, buffer),
                                          (gsize)u->buffer_length, NULL);
    if (!buf && u->buffer_length > 0) {
        g_object_unref(data);
        complete(c, -1, EFAULT);
        return;
    }
    urb *r = calloc(1, sizeof *r);
    if (!r) {
        g_object_unref(buf);
        g_object_unref(data);
        complete(c, -1, ENOMEM);
        return;
    }
    r->data = data;
    r->buf = buf;
    r->u = u;
    r->fault = -1;
    b->st.urbs++;
    if (u->type == USBDEVFS_URB_TYPE_CONTROL) {
        if (u->buffer_length < 8) {
            free_urb(r);
            complete(c, -1, EINVAL);
            return;
        }
        int n = tlpu_usbd_setup(&b->usbd, buf->data, buf->data + 8, (size_t)u->buffer_length - 8);
        push(&b->doneq, r);
        u->status = n < 0 ? -EPIPE : 0;
        u->actual_length = n < 0 ? 0 : n;
        complete(c, 0, 0);
        pump(b); /* a cleared halt or a RESYNC may let transfers move */
        return;
    }
    if (u->type != USBDEVFS_URB_TYPE_BULK ||
        (u->endpoint != TLPU_USB_EP_OUT && u->endpoint != TLPU_USB_EP_IN)) {
        free_urb(r);
        complete(c, -1, EINVAL);
        return;
    }
    r->fault = take_fault(b, u->endpoint);
    if (r->fault == TLPU_USBEMU_UNPLUG) {
        free_urb(r);
        b->st.faults++;
        go_away(b);
        complete(c, -1, ENODEV);
        return;
    }
    if (r->fault == TLPU_USBEMU_TIMEOUT) {
        r->held = 1;
        b->st.faults++;
    }
    if (r->fault == TLPU_USBEMU_STALL)
        b->st.faults++;
    fifo *q = u->endpoint == TLPU_USB_EP_OUT ? &b->outq : &b->inq;
    push(q, r);
    uint64_t depth = 0;
    for (urb *p = q->head; p; p = p->next)
        depth++;
    uint64_t *peak = q == &b->outq ? &b->st.peak_out : &b->st.peak_in;
    if (depth > *peak)
        *peak = depth;
    complete(c, 0, 0);
    pump(b);
}

static void reap_urb(board *b, UMockdevIoctlClient *c, UMockdevIoctlData *arg)
{
    urb *r = pop(&b->doneq);
    if (!r) {
        complete(c, -1, b->gone ? ENODEV : EAGAIN);
        return;
    }
    UMockdevIoctlData *p = umockdev_ioctl_data_resolve(arg, 0, sizeof(void *), NULL);
    if (!p) {
        free_urb(r);
        complete(c, -1, EFAULT);
        return;
    }
    umockdev_ioctl_data_set_ptr(p, 0, r->data);
    complete(c, 0, 0);
    g_object_unref(p);
    free_urb(r);
}

static void discard_urb(board *b, UMockdevIoctlClient *c, UMockdevIoctlData *arg)
{
    gulong addr = *(gulong *)arg->data;
    fifo *qs[2] = {&b->outq, &b->inq};
    for (int q = 0; q < 2; q++)
        for (urb *r = qs[q]->head; r; r = r->next)
            if (r->data->client_addr == addr) {
                finish(b, qs[q], r, -ENOENT);
                complete(c, 0, 0);
                pump(b);
                return;
            }
    complete(c, -1, EINVAL);
}

static board *board_of(tlpu_usbemu *e, UMockdevIoctlClient *c)
{
    const char *node = umockdev_ioctl_client_get_devnode(c);
    for (int i = 0; i < e->nboards; i++)
        if (e->b[i] && node && strcmp(node, e->b[i]->devnode) == 0)
            return e->b[i];
    return NULL;
}

static gboolean on_ioctl(UMockdevIoctlBase *h, UMockdevIoctlClient *c, gpointer user)
{
    (void)h;
    tlpu_usbemu *e = user;
    const double t0 = now_s();
    g_mutex_lock(&e->lock);
    board *b = board_of(e, c);
    const unsigned long req = umockdev_ioctl_client_get_request(c);
    UMockdevIoctlData *arg = umockdev_ioctl_client_get_arg(c);
    gboolean handled = TRUE;
    if (!b) {
        complete(c, -1, ENODEV);
    } else if (b->gone && req != USBDEVFS_REAPURB && req != USBDEVFS_REAPURBNDELAY &&
               req != USBDEVFS_DISCARDURB) {
        complete(c, -1, ENODEV);
    } else {
        switch (req) {
        case USBDEVFS_GET_CAPABILITIES: {
            UMockdevIoctlData *d = umockdev_ioctl_data_resolve(arg, 0, sizeof(guint32), NULL);
            *(guint32 *)d->data = USBDEVFS_CAP_BULK_CONTINUATION | USBDEVFS_CAP_NO_PACKET_SIZE_LIM |
                                  USBDEVFS_CAP_REAP_AFTER_DISCONNECT | USBDEVFS_CAP_ZERO_PACKET;
            complete(c, 0, 0);
            g_object_unref(d);
            break;
        }
        case USBDEVFS_CLAIMINTERFACE:
        case USBDEVFS_RELEASEINTERFACE:
        case USBDEVFS_DISCONNECT_CLAIM:
        case USBDEVFS_SETINTERFACE:
        case USBDEVFS_SETCONFIGURATION:
        case USBDEVFS_RESETEP:
            complete(c, 0, 0);
            break;
        case USBDEVFS_GETDRIVER: /* no kernel driver is bound to the interface */
            complete(c, -1, ENODATA);
            break;
        case USBDEVFS_RESET:
            tlpu_usbd_bus_reset(&b->usbd);
            b->usbd.configuration = 1;
            complete(c, 0, 0);
            break;
        case USBDEVFS_CLEAR_HALT: {
            UMockdevIoctlData *d = umockdev_ioctl_data_resolve(arg, 0, sizeof(unsigned), NULL);
            const uint8_t ep = (uint8_t)*(unsigned *)d->data;
            const uint8_t setup[8] = {0x02, 1, 0, 0, ep, 0, 0, 0}; /* CLEAR_FEATURE(HALT) */
            int rc = tlpu_usbd_setup(&b->usbd, setup, NULL, 0);
            complete(c, rc < 0 ? -1 : 0, rc < 0 ? EPIPE : 0);
            g_object_unref(d);
            pump(b);
            break;
        }
        case USBDEVFS_SUBMITURB:
            submit_urb(b, c, arg);
            break;
        case USBDEVFS_REAPURB:
        case USBDEVFS_REAPURBNDELAY:
            reap_urb(b, c, arg);
            break;
        case USBDEVFS_DISCARDURB:
            discard_urb(b, c, arg);
            break;
        default:
            handled = FALSE; /* umockdev answers ENOTTY */
            break;
        }
    }
    if (b && b->gone && !b->removed)
        remove_node(b);
    if (b) {
        b->st.ioctls++;
        b->st.emu_s += now_s() - t0;
    }
    g_mutex_unlock(&e->lock);
    return handled;
}

/* ---- the API ----------------------------------------------------------------------- */

int tlpu_usbemu_preloaded(void)
{
    const char *p = getenv("LD_PRELOAD");
    return p && strstr(p, "libumockdev-preload") != NULL;
}

int tlpu_usbemu_reexec(const char *name, int argc, char **argv)
{
    if (tlpu_usbemu_preloaded())
        return 0;
    /* the preloaded library that fakes /dev and /sys must be in place first */
    if (getenv("TLPU_USBEMU_WRAPPED")) {
        fprintf(stderr, "%s: umockdev-wrapper did not preload umockdev\n", name);
        return 1;
    }
    setenv("TLPU_USBEMU_WRAPPED", "1", 1);
    char **args = calloc((size_t)argc + 2, sizeof *args);
    if (!args)
        return 1;
    args[0] = "umockdev-wrapper";
    for (int i = 0; i < argc; i++)
        args[i + 1] = argv[i];
    execvp(args[0], args);
    fprintf(stderr, "%s: cannot run umockdev-wrapper (%s): install the Debian package "
                    "'umockdev'\n", name, strerror(errno));
    free(args);
    return 1;
}

tlpu_status tlpu_usbemu_new(tlpu_usbemu **out)
{
    if (!out)
        return TLPU_ERR_INVALID_ARG;
    if (!tlpu_usbemu_preloaded()) {
        fprintf(stderr, "tlpu_usbemu: not under umockdev (run the program with "
                        "umockdev-wrapper, from the Debian package 'umockdev')\n");
        return TLPU_ERR_UNSUPPORTED;
    }
    tlpu_usbemu *e = calloc(1, sizeof *e);
    if (!e)
        return TLPU_ERR_NOMEM;
    g_mutex_init(&e->lock);
    e->tb = umockdev_testbed_new();
    if (!e->tb) {
        free(e);
        return TLPU_ERR_UNSUPPORTED;
    }
    *out = e;
    return TLPU_OK;
}

static void hex(char *out, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        sprintf(out + 2 * i, "%02x", p[i]);
}

tlpu_status tlpu_usbemu_plug(tlpu_usbemu *e, const tlpu_usbemu_board *cfg, int *id)
{
    if (!e || !cfg || !cfg->core)
        return TLPU_ERR_INVALID_ARG;
    if (e->nboards == MAX_BOARDS)
        return TLPU_ERR_NOMEM;
    board *b = calloc(1, sizeof *b);
    if (!b)
        return TLPU_ERR_NOMEM;
    tlpu_status st = tlpu_open(cfg->core, &b->core);
    if (st != TLPU_OK) {
        free(b);
        return st;
    }
    b->e = e;
    snprintf(b->serial, sizeof b->serial, "%s", cfg->serial && *cfg->serial ? cfg->serial : "0");
    tlpu_usbd_init(&b->usbd, cfg->super_speed, b->serial, fw_handle, b);
    b->usbd.configuration = 1; /* the kernel configures it when it appears */
    const int port = e->nboards + 1, devnum = e->nboards + 2;
    snprintf(b->devnode, sizeof b->devnode, "/dev/bus/usb/001/%03d", devnum);
    snprintf(b->syspath, sizeof b->syspath, "/sys/devices/pci0000:00/0000:00:14.0/usb1/1-%d",
             port);
    uint8_t desc[128];
    size_t dn = tlpu_usb_descriptor(TLPU_USB_DESC_DEVICE, 0, cfg->super_speed, b->serial, desc,
                                    sizeof desc);
    dn += tlpu_usb_descriptor(TLPU_USB_DESC_CONFIG, 0, cfg->super_speed, b->serial, desc + dn,
                              sizeof desc - dn);
    char hx[2 * sizeof desc + 1];
    hex(hx, desc, dn);
    char text[1024];
    snprintf(text, sizeof text,
             "P: /devices/pci0000:00/0000:00:14.0/usb1/1-%d\n"
             "N: bus/usb/001/%03d=00\n" /* a plain file: the ioctls go to the handler */
             "E: SUBSYSTEM=usb\n"
             "E: DEVTYPE=usb_device\n"
             "E: DRIVER=usb\n"
             "E: BUSNUM=001\n"
             "E: DEVNUM=%03d\n"
             "E: DEVNAME=/dev/bus/usb/001/%03d\n"
             "A: busnum=1\\n\n"
             "A: devnum=%d\\n\n"
             "A: devpath=%d\\n\n"
             "A: speed=%s\\n\n"
             "A: bConfigurationValue=1\\n\n"
             "A: serial=%s\\n\n"
             "H: descriptors=%s\n",
             port, devnum, devnum, devnum, devnum, port, cfg->super_speed ? "5000" : "480",
             b->serial, hx);
    g_mutex_lock(&e->lock);
    b->id = e->nboards;
    e->b[e->nboards++] = b;
    b->handler = umockdev_ioctl_base_new();
    g_signal_connect(b->handler, "handle-ioctl", G_CALLBACK(on_ioctl), e);
    g_mutex_unlock(&e->lock);
    GError *err = NULL;
    /* the handler first, so the device answers as soon as it appears */
    if (!umockdev_testbed_attach_ioctl(e->tb, b->devnode, b->handler, &err) ||
        !umockdev_testbed_add_from_string(e->tb, text, &err)) {
        fprintf(stderr, "tlpu_usbemu: cannot add the board: %s\n", err ? err->message : "?");
        g_clear_error(&err);
        g_mutex_lock(&e->lock);
        b->gone = b->removed = 1;
        g_mutex_unlock(&e->lock);
        return TLPU_ERR_IO;
    }
    if (id)
        *id = b->id;
    return TLPU_OK;
}

static board *get(tlpu_usbemu *e, int id)
{
    return e && id >= 0 && id < e->nboards ? e->b[id] : NULL;
}

void tlpu_usbemu_unplug(tlpu_usbemu *e, int id)
{
    board *b = get(e, id);
    if (!b)
        return;
    g_mutex_lock(&e->lock);
    go_away(b);
    remove_node(b);
    g_mutex_unlock(&e->lock);
}

tlpu_status tlpu_usbemu_fault_at(tlpu_usbemu *e, int id, tlpu_usbemu_fault kind, uint8_t ep,
                                 unsigned nth)
{
    board *b = get(e, id);
    if (!b || nth == 0 || (ep != TLPU_USB_EP_OUT && ep != TLPU_USB_EP_IN) ||
        kind < TLPU_USBEMU_STALL || kind > TLPU_USBEMU_UNPLUG ||
        (kind == TLPU_USBEMU_SHORT && ep != TLPU_USB_EP_IN))
        return TLPU_ERR_INVALID_ARG;
    tlpu_status st = TLPU_OK;
    g_mutex_lock(&e->lock);
    if (b->nfaults == MAX_FAULTS) {
        st = TLPU_ERR_NOMEM;
    } else {
        unsigned base = ep == TLPU_USB_EP_OUT ? b->submitted_out : b->submitted_in;
        b->faults[b->nfaults++] = (fault_arm){(int)kind, ep, base + nth};
    }
    g_mutex_unlock(&e->lock);
    return st;
}

tlpu_status tlpu_usbemu_stats_of(tlpu_usbemu *e, int id, tlpu_usbemu_stats *s)
{
    board *b = get(e, id);
    if (!b || !s)
        return TLPU_ERR_INVALID_ARG;
    g_mutex_lock(&e->lock);
    *s = b->st;
    s->requests = b->usbd.requests;
    s->duplicates = b->usbd.duplicates;
    s->resyncs = b->usbd.resyncs;
    g_mutex_unlock(&e->lock);
    return TLPU_OK;
}

void tlpu_usbemu_free(tlpu_usbemu *e)
{
    if (!e)
        return;
    for (int i = 0; i < e->nboards; i++)
        tlpu_usbemu_unplug(e, i);
    g_object_unref(e->tb); /* stops the handlers and removes the testbed */
    for (int i = 0; i < e->nboards; i++) {
        board *b = e->b[i];
        urb *r;
        while ((r = pop(&b->doneq)))
            free_urb(r);
        g_object_unref(b->handler);
        tlpu_close(b->core);
        free(b);
    }
    g_mutex_clear(&e->lock);
    free(e);
}
