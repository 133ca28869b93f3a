"""Every language gets right verdicts on a+b; C++ gets every verdict."""
from __future__ import annotations

import pytest

from judge.languages import LANGUAGES, java_class_name, language_for_file

pytestmark = pytest.mark.docker

SOURCES = {
    "c": ("#include <stdio.h>\nint main(void){long long a,b;scanf(\"%lld %lld\",&a,&b);"
          "printf(\"%lld\\n\",a+b);return 0;}\n",
          "#include <stdio.h>\nint main(void){long long a,b;scanf(\"%lld %lld\",&a,&b);"
          "printf(\"%lld\\n\",a-b);return 0;}\n"),
    "cpp": ("#include <iostream>\nint main(){long long a,b;std::cin>>a>>b;std::cout<<a+b<<'\\n';}\n",
            "#include <iostream>\nint main(){int a,b;std::cin>>a>>b;std::cout<<a+b<<'\\n';}\n"),
    "cpp20": ("#include <iostream>\n#include <ranges>\nint main(){long long a,b;std::cin>>a>>b;"
              "auto v=std::views::iota(0,1);std::cout<<a+b+*v.begin()<<'\\n';}\n",
              "#include <iostream>\nint main(){long long a,b;std::cin>>a>>b;std::cout<<a*b<<'\\n';}\n"),
    "python3": ("a, b = map(int, input().split())\nprint(a + b)\n",
                "a, b = map(int, input().split())\nprint(a + b + 1)\n"),
    "pascal": ("var a, b: int64;\nbegin\n  readln(a, b);\n  writeln(a + b);\nend.\n",
               "var a, b: longint;\nbegin\n  readln(a, b);\n  writeln(a - b);\nend.\n"),
    "java": ("import java.util.*;\npublic class Sum {\n  public static void main(String[] x) {\n"
             "    Scanner s = new Scanner(System.in);\n    long a = s.nextLong(), b = s.nextLong();\n"
             "    System.out.println(a + b);\n  }\n}\n",
             "import java.util.*;\nclass Main {\n  public static void main(String[] x) {\n"
             "    Scanner s = new Scanner(System.in);\n    long a = s.nextLong(), b = s.nextLong();\n"
             "    System.out.println(a - b);\n  }\n}\n"),
}


def test_registry_covers_the_contest_languages():
    assert set(SOURCES) <= set(LANGUAGES)
    assert language_for_file("a.cc").key == "cpp"
    assert language_for_file("A.PAS").key == "pascal"
    assert language_for_file("x.py").key == "python3"
    assert language_for_file("Main.java").key == "java"
    assert language_for_file("x.c").key == "c"
    with pytest.raises(KeyError):
        language_for_file("x.rb")
    assert java_class_name("import x;\npublic final class Hello {\n}") == "Hello"
    assert java_class_name("class A {}") == "Main"


@pytest.mark.parametrize("language", sorted(SOURCES))
def test_accepted_and_wrong_answer(judge, aplusb, language):
    good, bad = SOURCES[language]
    res = judge(aplusb, good, language)
    assert res.verdict == "AC", (res.compile_output, res.to_dict())
    assert res.score == 100
    assert [t.verdict for t in res.tests] == ["AC", "AC"]
    res = judge(aplusb, bad, language)
    assert res.verdict == "WA", res.to_dict()
    assert res.score == 0


CPP_VERDICTS = {
    "TLE": "int main(){volatile unsigned long x=0;for(;;)x++;}",
    "MLE": "#include <vector>\n#include <cstdio>\nint main(){std::vector<char> v(400u<<20, 1);"
           "long s=0;for(size_t i=0;i<v.size();i+=4096)s+=v[i];printf(\"%ld\\n\",s);}",
    "RE": "#include <cstdio>\nint main(){int *p=nullptr; volatile int z=0; printf(\"%d\\n\", *p+z);}",
    "CE": "int main(){ return undefined_name; }",
    "OLE": "#include <cstdio>\nint main(){for(;;)puts(\"spam spam spam spam spam spam spam spam\");}",
}


@pytest.mark.parametrize("verdict", sorted(CPP_VERDICTS))
def test_cpp_verdicts(judge, make_problem, verdict):
    problem = make_problem([("1 2\n", "3\n")], output_limit=4)
    res = judge(problem, CPP_VERDICTS[verdict], "cpp", time_limit=0.5)
    assert res.verdict == verdict, res.to_dict()
    if verdict == "CE":
        assert "undefined_name" in res.compile_output
        assert res.tests == []
    if verdict == "RE":
        assert "SIGSEGV" in res.tests[0].message


def test_exit_code_is_runtime_error(judge, aplusb):
    res = judge(aplusb, "import sys\nsys.exit(3)\n", "python3")
    assert res.verdict == "RE"
    assert res.tests[0].message == "exit code 3"


def test_python_syntax_error_is_compile_error(judge, aplusb):
    res = judge(aplusb, "print(1 +\n", "python3")
    assert res.verdict == "CE"
    assert "SyntaxError" in res.compile_output or "never closed" in res.compile_output


def test_java_out_of_memory_is_mle(judge, aplusb):
    src = ("import java.util.*;\npublic class Main { public static void main(String[] a) {\n"
           "  List<long[]> l = new ArrayList<>(); while (true) l.add(new long[1 << 20]); } }\n")
    res = judge(aplusb, src, "java", memory_limit=64)
    assert res.verdict == "MLE", res.to_dict()
