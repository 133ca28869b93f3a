var n, i: longint;
    dx, dy, total: double;
begin
  readln(n);
  total := 0;
  for i := 1 to n do
  begin
    readln(dx, dy);
    total := total + sqrt(dx * dx + dy * dy);
  end;
  writeln(total:0:9);
end.
