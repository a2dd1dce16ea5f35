"05_model: RoPE as a rotation of feature pair (i, i + D/2) by m * theta_i, checked against rope_angles/apply_rope."
import sys, math
import torch
from svglib import *
from cleangpt.model import rope_angles, apply_rope

D, theta, i_pair = 16, 10000.0, 1            # lesson 05's rope_score uses head_dim=16; q at 7, k at 3
th = [theta ** (-2 * i / D) for i in range(D // 2)]
cos, sin = rope_angles(torch.tensor([3, 7]), D)
assert abs(cos[1, i_pair].item() - math.cos(7 * th[i_pair])) < 1e-6
# apply_rope rotates (x_i, x_{i+D/2}) as a 2-D rotation: check on a unit vector in pair i_pair
v = torch.zeros(1, D); v[0, i_pair] = 1.0
r = apply_rope(v, cos[1:], sin[1:])
assert abs(r[0, i_pair].item() - math.cos(7 * th[i_pair])) < 1e-6 and abs(r[0, i_pair + D // 2].item() - math.sin(7 * th[i_pair])) < 1e-6

W = 740
b = []
b.append(rich(16, 24, "RoPE: at position m, feature pair i is rotated by the angle m · θ_{i}", 14, bold=True))
b.append(rich(16, 44, "Lesson 05 pairs feature i with feature i + D/2 (\u201crotate half\u201d), and θ_{i} = rope_theta^{−2i/D} "
              "with rope_theta = 10000.", 12.5, color=GREY_TEXT))
# ---------------------------------------------------------------- the plane
ox, oy, R = 176, 300, 132
b.append(rect(16, 58, 320, 302, "plain", rx=8, sw=1, stroke="#dfe3e7"))
b.append(rich(28, 80, f"pair i = {i_pair} of a head with D = {D}:", 12.5, bold=True))
b.append(rich(28, 98, f"θ_{{{i_pair}}} = 10000^{{−2/16}} = {th[i_pair]:.4f} rad ≈ {math.degrees(th[i_pair]):.1f}°", 12.5))
b.append(line(ox - R - 14, oy, ox + R + 16, oy, color=GREY, sw=1, marker="ah-grey"))
b.append(line(ox, oy + 8, ox, oy - R - 16, color=GREY, sw=1, marker="ah-grey"))
b.append(rich(ox + R + 14, oy + 18, "x_{i}", 13, anchor="end", color=GREY_TEXT))
b.append(rich(ox - 8, oy - R - 6, "x_{i + D/2}", 13, anchor="end", color=GREY_TEXT))
b.append(path(f"M{ox - R},{oy} A{R},{R} 0 0 1 {ox + R},{oy}", color="#dfe3e7", sw=1))
phi0 = math.radians(12)
def pt(a, rr=R): return ox + rr * math.cos(a), oy - rr * math.sin(a)
def arc(a1, a2, rr, color, sw=1.4, marker=None):
    x1, y1 = pt(a1, rr); x2, y2 = pt(a2, rr)
    large = 1 if (a2 - a1) % (2 * math.pi) > math.pi else 0
    return path(f"M{x1:.1f},{y1:.1f} A{rr},{rr} 0 {large} 0 {x2:.1f},{y2:.1f}", color=color, sw=sw, marker=marker)
vecs = [(0, GREY, "m = 0", True), (3, BLUE, "m = 3", False), (7, ORANGE, "m = 7", False)]
for m, col, lab, dash in vecs:
    a = phi0 + m * th[i_pair]
    x2, y2 = pt(a)
    mk = {GREY: "ah-grey", BLUE: "ah-blue", ORANGE: "ah-orange"}[col]
    b.append(line(ox, oy, x2, y2, color=col, sw=2.2 if not dash else 1.4, dash=dash, marker=mk))
    lx, ly = pt(a, R + 16)
    if m == 0: lx, ly = x2 - 4, y2 + 18
    b.append(rich(lx, ly + 4, lab, 12.5, anchor="middle" if m else "end", bold=not dash,
                  color={GREY: GREY_TEXT, BLUE: BLUE_DARK, ORANGE: ORANGE_DARK}[col]))
b.append(arc(phi0, phi0 + 3 * th[i_pair], 44, BLUE, marker="ah-blue"))
b.append(arc(phi0, phi0 + 7 * th[i_pair], 30, ORANGE, marker="ah-orange"))
mx, my = pt(phi0 + 1.5 * th[i_pair], 58)
b.append(rich(mx + 4, my + 2, "3θ", 12.5, color=BLUE_DARK))
mx, my = pt(phi0 + 5.6 * th[i_pair], 24)
b.append(rich(mx - 18, my - 2, "7θ", 12.5, color=ORANGE_DARK))
b.append(arc(phi0 + 3 * th[i_pair], phi0 + 7 * th[i_pair], 84, LINE, sw=1.2))
mx, my = pt(phi0 + 5 * th[i_pair], 100)
b.append(rich(mx - 4, my - 2, "(7 − 3) θ", 12.5, anchor="middle", color=INK, bold=True))
b.append(rich(28, 348, "One pair at m = 0, 3 and 7: turned, never stretched.", 12, color=GREY_TEXT))
# ---------------------------------------------------------------- the formula and the relative angle
rx0 = 350
b.append(rect(rx0, 58, W - rx0 - 16, 150, "plain", rx=8, sw=1, stroke="#dfe3e7"))
b.append(rich(rx0 + 12, 80, "**`apply_rope(x, cos, sin)`**, with cos, sin of m · θ_{i}", 12.5))
lines = ["`x1, x2 = x.chunk(2, dim=-1)`", "`torch.cat((x1 * cos - x2 * sin,`", "`           x1 * sin + x2 * cos), -1)`"]
for j, t in enumerate(lines):
    b.append(rich(rx0 + 12, 102 + 18 * j, t, 12.5))
b.append(rich(rx0 + 12, 168, "q at position 7 and k at position 3 meet at the angle", 12.5, color=GREY_TEXT))
b.append(rich(rx0 + 12, 185, "(7 − 3) θ_{i}: the score depends on m − n alone.", 12.5, color=GREY_TEXT))
# ---------------------------------------------------------------- one dial per pair: angle at m = 7
b.append(rect(rx0, 218, W - rx0 - 16, 142, "plain", rx=8, sw=1, stroke="#dfe3e7"))
b.append(rich(rx0 + 12, 240, "all 8 pairs at m = 7: early ones spin fast", 12.5, bold=True))
dr, gap = 15, 44
dx0 = rx0 + 12 + dr + 2
for i in range(D // 2):
    cxd, cyd = dx0 + i * gap, 284
    b.append(f'<circle cx="{cxd:.1f}" cy="{cyd}" r="{dr}" fill="{BLUE_FILL}" stroke="{BLUE}" stroke-width="1"/>')
    a = 7 * th[i]
    b.append(line(cxd, cyd, cxd + dr, cyd, color=GREY, sw=1))
    ex, ey = cxd + (dr - 1) * math.cos(a), cyd - (dr - 1) * math.sin(a)
    b.append(line(cxd, cyd, ex, ey, color=ORANGE, sw=2))
    b.append(rich(cxd, cyd + dr + 15, f"i = {i}", 12, anchor="middle", color=GREY_TEXT))
    deg = math.degrees(a) % 360
    b.append(rich(cxd, cyd + dr + 30, f"{deg:.0f}°" if deg >= 1 else f"{deg:.1f}°", 12, anchor="middle",
                  color=ORANGE_DARK))
b.append(rich(rx0 + 12, 352, "the angle 7 θ_{i} mod 360°; θ_{0} = 1 rad, θ_{7} = 0.00032 rad", 12, color=GREY_TEXT))
H = 374
desc = ("Left: the plane of feature i (horizontal) and feature i + D/2 (vertical) for pair 1 of a 16-feature head, "
        "theta_1 = 10000^(-2/16) = 0.3162 rad. The same pair is drawn at position 0, rotated by 3 theta at position 3 "
        "and by 7 theta at position 7; the angle between the last two is (7 - 3) theta. Right: apply_rope splits x "
        "into halves x1, x2 and returns cat(x1 cos - x2 sin, x1 sin + x2 cos); a score between positions 7 and 3 "
        "depends only on their difference. Below, eight dials show the angle 7 theta_i of every pair: pair 0 turns "
        "401 degrees (41 mod 360), pair 7 almost nothing.")
open("nbs/images/rope_rotation.svg", "w", encoding="utf-8").write(svg(W, H, "RoPE as a rotation of feature pairs", desc, b))
