/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tlpu area - the chip area of a core configuration at a technology node
 * (tlpu/area.h, docs/energy-model.md "Area"):
 *
 *   tlpu area [--config rows=..,cols=..,...] [--energy 7nm|45nm|FILE] [--json]
 *
 * The logic in generic standard cells (the model fitted to yosys) times the
 * table's cell_area, the SRAM bits times its sram_bit_area, plus its
 * area_fixed, by component.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "tlpu/area.h"
#include "tlpu/energy.h"
#include "tlpu/tiler.h"

/* a JSON string: the table names come from user files */
static void json_str(const char *s)
{
    putchar('"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            printf("\\%c", c);
        else if (c < 0x20)
            printf("\\u%04x", c);
        else
            putchar(c);
    }
    putchar('"');
}

static void print_json(const tlpu_hw *h, const tlpu_energy_table *tab, double cell_um2,
                       double bit_um2, const tlpu_area_logic *l, const tlpu_area_bits *b,
                       const tlpu_area_breakdown *a)
{
    printf("{\"table\": ");
    json_str(tlpu_energy_name(tab));
    printf(", \"node\": ");
    json_str(tlpu_energy_node(tab));
    printf(", \"config\": {\"rows\": %u, \"cols\": %u, \"wbuf\": %u, \"abuf\": %u, \"obuf\": %u, "
           "\"imem\": %u, \"queue\": %u, \"burst\": %u},\n",
           h->rows, h->cols, h->wbuf_chunks, h->abuf_words, h->obuf_words, h->imem_depth,
           h->queue_depth, h->burst_beats);
    printf(" \"cell_area_um2\": %.6g, \"sram_bit_area_um2\": %.6g, \"area_fixed_mm2\": %.6g,\n",
           cell_um2, bit_um2, a->fixed);
    printf(" \"logic_cells\": %.0f, \"sram_bits\": %.0f,\n", a->logic_cells, a->sram_bits);
    printf(" \"cells\": {\"array\": %.0f, \"decoders\": %.0f, \"queues\": %.0f, "
           "\"control\": %.0f, \"total\": %.0f},\n",
           l->array, l->decoders, l->queues, l->control, l->total);
    printf(" \"bits\": {\"wbuf\": %.0f, \"abuf\": %.0f, \"obuf\": %.0f, \"imem\": %.0f, "
           "\"total\": %.0f},\n",
           b->wbuf, b->abuf, b->obuf, b->imem, b->total);
    printf(" \"mm2\": {\"array\": %.6g, \"decoders\": %.6g, "
           "\"queues\": %.6g, \"control\": %.6g, \"wbuf\": %.6g, \"abuf\": %.6g, "
           "\"obuf\": %.6g, \"imem\": %.6g, \"fixed\": %.6g, \"logic\": %.6g, \"sram\": %.6g, "
           "\"total\": %.6g}}\n",
           a->array, a->decoders, a->queues, a->control, a->wbuf, a->abuf,
           a->obuf, a->imem, a->fixed, a->logic_mm2, a->sram_mm2, a->total);
}

static void row(const char *name, double count, const char *what, double mm2, double total)
{
    printf("  %-13s %12.0f %-5s %10.4f mm2 %6.1f%%\n", name, count, what, mm2,
           total > 0 ? 100.0 * mm2 / total : 0.0);
}

static void print_text(const tlpu_hw *h, const tlpu_energy_table *tab, double cell_um2,
                       double bit_um2, const tlpu_area_logic *l, const tlpu_area_bits *b,
                       const tlpu_area_breakdown *a)
{
    printf("core        %u x %u lanes; buffers: weights 2 x %u chunks, activations %u words, "
           "outputs %u words, program %u instructions; queues %u\n",
           h->rows, h->cols, h->wbuf_chunks, h->abuf_words, h->obuf_words, h->imem_depth,
           h->queue_depth);
    printf("table       %s (%s): %.4g um2 per cell, %.4g um2 per SRAM bit\n",
           tlpu_energy_name(tab), tlpu_energy_node(tab), cell_um2, bit_um2);
    printf("logic       %.0f generic standard cells (the model fitted to yosys)\n", l->total);
    row("array", l->array, "cells", a->array, a->total);
    row("decoders", l->decoders, "cells", a->decoders, a->total);
    row("queues", l->queues, "cells", a->queues, a->total);
    row("control", l->control, "cells", a->control, a->total);
    printf("SRAM        %.0f bits (%.1f KiB)\n", b->total, b->total / 8192.0);
    row("wbuf", b->wbuf, "bits", a->wbuf, a->total);
    row("abuf", b->abuf, "bits", a->abuf, a->total);
    row("obuf", b->obuf, "bits", a->obuf, a->total);
    row("imem", b->imem, "bits", a->imem, a->total);
    printf("  (the output buffer has two read ports: priced as two copies)\n");
    if (a->fixed > 0)
        printf("fixed       %.4f mm2 (the table's area_fixed)\n", a->fixed);
    printf("area        %.4f mm2: logic %.4f, SRAM %.4f%s\n", a->total, a->logic_mm2,
           a->sram_mm2, a->fixed > 0 ? ", fixed" : "");
    printf("            the core only: no wires between blocks, clock tree, IO or pads "
           "(docs/energy-model.md, \"Area\")\n");
}

int cmd_area(int argc, char **argv)
{
    const char *cmd = "area", *config = NULL, *energy = "7nm";
    int json = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0) {
            json = 1;
        } else if (strcmp(argv[i], "--config") == 0) {
            if (!(config = cli_value(cmd, argc, argv, &i)))
                return CLI_USAGE;
        } else if (strcmp(argv[i], "--energy") == 0) {
            if (!(energy = cli_value(cmd, argc, argv, &i)))
                return CLI_USAGE;
        } else {
            cli_error(cmd, "unknown option '%s'", argv[i]);
            return CLI_USAGE;
        }
    }
    tlpu_hw hw;
    tlpu_hw_default(&hw);
    if (config && cli_parse_hw_config(cmd, config, &hw))
        return CLI_USAGE;
    char err[512] = "";
    tlpu_energy_table *tab = NULL;
    if (tlpu_energy_open(energy, &tab, err, sizeof err) != TLPU_OK) {
        cli_error(cmd, "--energy: %s", err);
        return CLI_USAGE;
    }
    tlpu_area_breakdown a;
    tlpu_area_logic l;
    tlpu_area_bits b;
    tlpu_status st = tlpu_area_estimate(&hw, tab, &a, err, sizeof err);
    if (st != TLPU_OK) {
        cli_error(cmd, "--energy %s: %s", energy, err);
        tlpu_energy_free(tab);
        return CLI_USAGE;
    }
    tlpu_area_cells(&hw, &l);
    tlpu_area_sram_bits(&hw, &b);
    double cell_um2 = 0, bit_um2 = 0;
    tlpu_energy_value(tab, "cell_area", &cell_um2);
    tlpu_energy_value(tab, "sram_bit_area", &bit_um2);
    if (json)
        print_json(&hw, tab, cell_um2, bit_um2, &l, &b, &a);
    else
        print_text(&hw, tab, cell_um2, bit_um2, &l, &b, &a);
    tlpu_energy_free(tab);
    return CLI_OK;
}
