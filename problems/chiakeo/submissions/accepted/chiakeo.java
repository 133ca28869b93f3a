import java.io.*;
import java.util.*;

class Main {
    public static void main(String[] args) throws IOException {
        Scanner in = new Scanner(new File("CHIAKEO.INP"));
        long n = in.nextLong(), k = in.nextLong();
        try (PrintWriter out = new PrintWriter(new FileWriter("CHIAKEO.OUT"))) {
            out.println((n / k) + " " + (n % k));
        }
    }
}
