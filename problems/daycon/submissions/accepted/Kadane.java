import java.io.*;
import java.util.*;

class Main {
    public static void main(String[] args) throws IOException {
        StreamTokenizer st = new StreamTokenizer(new BufferedInputStream(System.in));
        st.resetSyntax();
        st.wordChars('-', '-');
        st.wordChars('0', '9');
        st.whitespaceChars(0, ' ');
        st.nextToken();
        int n = Integer.parseInt(st.sval);
        long best = Long.MIN_VALUE, cur = 0;
        for (int i = 0; i < n; i++) {
            st.nextToken();
            long x = Long.parseLong(st.sval);
            cur = Math.max(x, cur + x);
            best = Math.max(best, cur);
        }
        System.out.println(best);
    }
}
