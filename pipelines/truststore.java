// Makes a PKCS12 trust store from a PEM bundle with the JDK's own classes, so a Java build in a
// container trusts the CA bundle it is given:
//     java truststore.java ca.pem truststore.p12 PASSWORD
// (run as a single-file source program; keytool imports one certificate per call).
import java.io.BufferedInputStream;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;

public class truststore {
  public static void main(String[] args) throws Exception {
    KeyStore store = KeyStore.getInstance("PKCS12");
    store.load(null, null);
    int count = 0;
    try (InputStream in = new BufferedInputStream(new FileInputStream(args[0]))) {
      for (Certificate certificate : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
        store.setCertificateEntry("ca-" + count++, certificate);
      }
    }
    try (OutputStream out = new FileOutputStream(args[1])) {
      store.store(out, args[2].toCharArray());
    }
    System.err.println("connector-pipelines: trust store with " + count + " certificates from the CA bundle");
  }
}
