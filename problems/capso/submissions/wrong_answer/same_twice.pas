{ Lets a number pair with itself (i = j) and prints positions in any order. }
var n, i, j: longint;
    s: int64;
    a: array[1..100000] of int64;
    f, g: text;
    found: boolean;
begin
  assign(f, 'CAPSO.INP'); reset(f);
  assign(g, 'CAPSO.OUT'); rewrite(g);
  read(f, n, s);
  for i := 1 to n do read(f, a[i]);
  found := false;
  for i := 1 to n do
    if not found then
      for j := 1 to 3 do
        if (not found) and (j <= n) and (a[i] + a[j] = s) then
        begin
          writeln(g, i, ' ', j);
          found := true;
        end;
  if not found then writeln(g, -1);
  close(g);
end.
