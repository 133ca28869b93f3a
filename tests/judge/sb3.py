"""A small builder of Scratch 3 projects (``project.json`` and ``.sb3`` files) for tests and demos.

Scripts are written as nested Python values::

    p = Project()
    n = p.variable("n")
    p.sprite.script(when_flag(), ask(), set_var(n, answer()), say(add(n, 1)))
    data = p.sb3()          # bytes of a .sb3 zip; p.json() is the project.json text

A block is :class:`Block`; an input may be a block, a :class:`Var`/:class:`ListVar` (read as a
reporter), or a literal (numbers and strings become the usual shadow literals).
"""
from __future__ import annotations

import hashlib
import io
import itertools
import json
import zipfile
from dataclasses import dataclass, field

# the one costume every target wears: a blank 2×2 SVG, stored in the .sb3 by its md5
BLANK_SVG = (b'<svg xmlns="http://www.w3.org/2000/svg" width="2" height="2" viewBox="0 0 2 2">'
             b'</svg>')
BLANK_MD5 = hashlib.md5(BLANK_SVG).hexdigest()

_ids = itertools.count(1)


def _new_id(prefix: str = "b") -> str:
    return f"{prefix}{next(_ids)}"


@dataclass
class Var:
    name: str
    id: str = field(default_factory=lambda: _new_id("v"))
    value: object = 0


@dataclass
class ListVar:
    name: str
    id: str = field(default_factory=lambda: _new_id("l"))
    items: list = field(default_factory=list)


@dataclass
class Block:
    opcode: str
    inputs: dict = field(default_factory=dict)  # name -> value (block, var, literal)
    fields: dict = field(default_factory=dict)  # name -> [value, id]
    substacks: dict = field(default_factory=dict)  # name -> list of blocks
    mutation: dict | None = None
    shadow: bool = False
    boolean_inputs: tuple = ()  # inputs serialised without a shadow (conditions)


class Target:
    def __init__(self, project: "Project", name: str, is_stage: bool):
        self.project = project
        self.name = name
        self.is_stage = is_stage
        self.scripts: list[list[Block]] = []
        self.variables: dict[str, Var] = {}
        self.lists: dict[str, ListVar] = {}
        self.visible = True

    def script(self, *blocks: Block) -> "Target":
        self.scripts.append(list(blocks))
        return self

    def variable(self, name: str, value: object = 0) -> Var:
        v = Var(name, value=value)
        self.variables[v.id] = v
        return v

    def list(self, name: str, items: list | None = None) -> ListVar:
        lst = ListVar(name, items=list(items or []))
        self.lists[lst.id] = lst
        return lst

    # -- serialisation --------------------------------------------------------------------------
    def _blocks(self, prefix: str) -> dict:
        out: dict = {}
        counter = itertools.count(1)

        def literal(value) -> list:
            if isinstance(value, bool):
                return [10, "true" if value else "false"]
            if isinstance(value, (int, float)):
                return [4, repr(value) if isinstance(value, float) else str(value)]
            return [10, str(value)]

        def emit_input(value, parent: str, boolean: bool) -> list:
            if isinstance(value, Var):
                return [3, [12, value.name, value.id], [10, ""]]
            if isinstance(value, ListVar):
                return [3, [13, value.name, value.id], [10, ""]]
            if isinstance(value, Block):
                bid = emit(value, parent, top=False)
                if boolean:
                    return [2, bid]
                return [1, bid] if value.shadow else [3, bid, [10, ""]]
            return [1, literal(value)]

        def emit_stack(blocks: list[Block], parent: str | None, top: bool) -> str | None:
            first = None
            prev = None
            for i, b in enumerate(blocks):
                bid = emit(b, prev if prev else parent, top=top and i == 0)
                if prev is not None:
                    out[prev]["next"] = bid
                first = first or bid
                prev = bid
            return first

        def emit(b: Block, parent: str | None, top: bool) -> str:
            bid = f"{prefix}{next(counter)}"  # the same ids every time the project is written
            rec = {"opcode": b.opcode, "next": None, "parent": parent, "inputs": {},
                   "fields": dict(b.fields), "shadow": b.shadow, "topLevel": top}
            if top:
                rec["x"], rec["y"] = 0, 200 * len(out)
            if b.mutation is not None:
                rec["mutation"] = {"tagName": "mutation", "children": [], **b.mutation}
            out[bid] = rec
            for name, value in b.inputs.items():
                rec["inputs"][name] = emit_input(value, bid, name in b.boolean_inputs)
            for name, stack in b.substacks.items():
                first = emit_stack(stack, bid, top=False)
                if first:
                    rec["inputs"][name] = [2, first]
            return bid

        for script in self.scripts:
            emit_stack(script, None, top=True)
        return out

    def to_json(self, layer: int, broadcasts: dict) -> dict:
        t = {
            "isStage": self.is_stage, "name": self.name,
            "variables": {v.id: [v.name, v.value] for v in self.variables.values()},
            "lists": {lst.id: [lst.name, lst.items] for lst in self.lists.values()},
            "broadcasts": broadcasts if self.is_stage else {},
            "blocks": self._blocks(f"t{layer}b"), "comments": {}, "currentCostume": 0,
            "costumes": [{"name": "costume1", "assetId": BLANK_MD5, "md5ext": f"{BLANK_MD5}.svg",
                          "dataFormat": "svg", "rotationCenterX": 1, "rotationCenterY": 1}],
            "sounds": [], "volume": 100, "layerOrder": layer,
        }
        if self.is_stage:
            t.update({"tempo": 60, "videoTransparency": 50, "videoState": "off",
                      "textToSpeechLanguage": None})
        else:
            t.update({"visible": self.visible, "x": 0, "y": 0, "size": 100, "direction": 90,
                      "draggable": False, "rotationStyle": "all around"})
        return t


class Project:
    def __init__(self):
        self.stage = Target(self, "Stage", True)
        self.sprites = [Target(self, "Sprite1", False)]
        self.broadcasts: dict[str, str] = {}  # name -> id
        self.extensions: list[str] = []

    @property
    def sprite(self) -> Target:
        return self.sprites[0]

    def add_sprite(self, name: str) -> Target:
        t = Target(self, name, False)
        self.sprites.append(t)
        return t

    def variable(self, name: str, value: object = 0) -> Var:
        """A variable for all sprites (it lives on the stage)."""
        return self.stage.variable(name, value)

    def list(self, name: str, items: list | None = None) -> ListVar:
        return self.stage.list(name, items)

    def message(self, name: str) -> tuple[str, str]:
        if name not in self.broadcasts:
            self.broadcasts[name] = _new_id("m")
        return name, self.broadcasts[name]

    def to_dict(self) -> dict:
        bc = {mid: name for name, mid in self.broadcasts.items()}
        targets = [self.stage.to_json(0, bc)] + [s.to_json(i + 1, {})
                                                   for i, s in enumerate(self.sprites)]
        return {"targets": targets, "monitors": [], "extensions": list(self.extensions),
                "meta": {"semver": "3.0.0", "vm": "5.0.300", "agent": "tinhoctre tests"}}

    def json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False)

    def sb3(self) -> bytes:
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            for name, data in (("project.json", self.json().encode()), (f"{BLANK_MD5}.svg", BLANK_SVG)):
                z.writestr(zipfile.ZipInfo(name, (2026, 1, 1, 0, 0, 0)), data, zipfile.ZIP_DEFLATED)
        return buf.getvalue()


# -- blocks -------------------------------------------------------------------------------------
def when_flag() -> Block:
    return Block("event_whenflagclicked")


def ask(question: object = "") -> Block:
    return Block("sensing_askandwait", {"QUESTION": question})


def read_token() -> Block:
    return ask("read_token")


def answer() -> Block:
    return Block("sensing_answer")


def say(message: object) -> Block:
    return Block("looks_say", {"MESSAGE": message})


def think(message: object) -> Block:
    return Block("looks_think", {"MESSAGE": message})


def say_for_secs(message: object, secs: object = 2) -> Block:
    return Block("looks_sayforsecs", {"MESSAGE": message, "SECS": secs})


def set_var(var: Var, value: object) -> Block:
    return Block("data_setvariableto", {"VALUE": value}, {"VARIABLE": [var.name, var.id]})


def change_var(var: Var, by: object) -> Block:
    return Block("data_changevariableby", {"VALUE": by}, {"VARIABLE": [var.name, var.id]})


def add_to_list(lst: ListVar, item: object) -> Block:
    return Block("data_addtolist", {"ITEM": item}, {"LIST": [lst.name, lst.id]})


def item_of(lst: ListVar, index: object) -> Block:
    return Block("data_itemoflist", {"INDEX": index}, {"LIST": [lst.name, lst.id]})


def length_of(lst: ListVar) -> Block:
    return Block("data_lengthoflist", {}, {"LIST": [lst.name, lst.id]})


def delete_all(lst: ListVar) -> Block:
    return Block("data_deletealloflist", {}, {"LIST": [lst.name, lst.id]})


def _op(opcode: str, a: str, b: str):
    return lambda x, y: Block(opcode, {a: x, b: y})


add = _op("operator_add", "NUM1", "NUM2")
sub = _op("operator_subtract", "NUM1", "NUM2")
mul = _op("operator_multiply", "NUM1", "NUM2")
div = _op("operator_divide", "NUM1", "NUM2")
mod = _op("operator_mod", "NUM1", "NUM2")
join = _op("operator_join", "STRING1", "STRING2")
lt = _op("operator_lt", "OPERAND1", "OPERAND2")
gt = _op("operator_gt", "OPERAND1", "OPERAND2")
equals = _op("operator_equals", "OPERAND1", "OPERAND2")


def repeat(times: object, *body: Block) -> Block:
    return Block("control_repeat", {"TIMES": times}, substacks={"SUBSTACK": list(body)})


def repeat_until(cond: Block, *body: Block) -> Block:
    return Block("control_repeat_until", {"CONDITION": cond}, substacks={"SUBSTACK": list(body)},
                 boolean_inputs=("CONDITION",))


def forever(*body: Block) -> Block:
    return Block("control_forever", substacks={"SUBSTACK": list(body)})


def if_(cond: Block, *body: Block) -> Block:
    return Block("control_if", {"CONDITION": cond}, substacks={"SUBSTACK": list(body)},
                 boolean_inputs=("CONDITION",))


def if_else(cond: Block, then: list[Block], otherwise: list[Block]) -> Block:
    return Block("control_if_else", {"CONDITION": cond},
                 substacks={"SUBSTACK": then, "SUBSTACK2": otherwise},
                 boolean_inputs=("CONDITION",))


def wait(secs: object) -> Block:
    return Block("control_wait", {"DURATION": secs})


def stop_all() -> Block:
    return Block("control_stop", fields={"STOP_OPTION": ["all", None]},
                 mutation={"hasnext": "false"})


def broadcast(project: Project, name: str, and_wait: bool = False) -> Block:
    n, mid = project.message(name)
    menu = Block("event_broadcast_menu", fields={"BROADCAST_OPTION": [n, mid]}, shadow=True)
    return Block("event_broadcastandwait" if and_wait else "event_broadcast",
                 {"BROADCAST_INPUT": menu})


def when_received(project: Project, name: str) -> Block:
    n, mid = project.message(name)
    return Block("event_whenbroadcastreceived", fields={"BROADCAST_OPTION": [n, mid]})


def create_clone(of: str = "_myself_") -> Block:
    menu = Block("control_create_clone_of_menu", fields={"CLONE_OPTION": [of, None]}, shadow=True)
    return Block("control_create_clone_of", {"CLONE_OPTION": menu})


def when_clone_starts() -> Block:
    return Block("control_start_as_clone")


def delete_clone() -> Block:
    return Block("control_delete_this_clone")


def pen_down() -> Block:
    return Block("pen_penDown")


def extension_block(opcode: str) -> Block:
    """A block of any extension, e.g. ``music_playDrumForBeats`` (for refusal tests)."""
    return Block(opcode)


@dataclass
class Procedure:
    """A custom block ("Make a Block") with string/number arguments."""

    name: str
    args: tuple[str, ...]
    warp: bool = False  # "run without screen refresh"

    def __post_init__(self):
        self.arg_ids = [_new_id("a") for _ in self.args]
        self.proccode = " ".join([self.name] + ["%s"] * len(self.args))

    def _mutation(self) -> dict:
        return {"proccode": self.proccode, "argumentids": json.dumps(self.arg_ids),
                "warp": "true" if self.warp else "false"}

    def define(self) -> Block:
        """The hat ``define name (a) (b)``: put it first in a script."""
        proto_inputs = {
            aid: Block("argument_reporter_string_number", fields={"VALUE": [a, None]}, shadow=True)
            for aid, a in zip(self.arg_ids, self.args)
        }
        proto = Block("procedures_prototype", proto_inputs, shadow=True, mutation={
            **self._mutation(), "argumentnames": json.dumps(list(self.args)),
            "argumentdefaults": json.dumps([""] * len(self.args))})
        return Block("procedures_definition", {"custom_block": proto})

    def call(self, *values: object) -> Block:
        return Block("procedures_call", dict(zip(self.arg_ids, values)), mutation=self._mutation())

    def arg(self, name: str) -> Block:
        return Block("argument_reporter_string_number", fields={"VALUE": [name, None]})
