var a, b: int64;
    f, g: text;
begin
  assign(f, 'hcn.inp'); reset(f);
  assign(g, 'hcn.out'); rewrite(g);
  read(f, a, b);
  writeln(g, 2 * (a + b));
  writeln(g, a * b);
  close(g);
end.
