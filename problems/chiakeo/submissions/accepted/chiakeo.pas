program ChiaKeo;
var
  n, k: int64;
  fi, fo: text;
begin
  assign(fi, 'CHIAKEO.INP'); reset(fi);
  assign(fo, 'CHIAKEO.OUT'); rewrite(fo);
  readln(fi, n, k);
  writeln(fo, n div k, ' ', n mod k);
  close(fi); close(fo);
end.
