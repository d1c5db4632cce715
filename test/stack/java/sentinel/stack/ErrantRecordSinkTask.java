package sentinel.stack;

import java.util.Collection;
import java.util.Map;

import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.errors.DataException;
import org.apache.kafka.connect.sink.ErrantRecordReporter;
import org.apache.kafka.connect.sink.SinkRecord;
import org.apache.kafka.connect.sink.SinkTask;

public class ErrantRecordSinkTask extends SinkTask {
    public static final String MESSAGE = "errant record reported by test sink";
    private ErrantRecordReporter reporter;

    @Override public String version() { return ErrantRecordSinkConnector.VERSION; }

    @Override public void start(Map<String, String> props) {
        reporter = context.errantRecordReporter();
    }

    @Override public void put(Collection<SinkRecord> records) {
        for (SinkRecord record : records) {
            if (reporter == null) {
                throw new ConnectException("ErrantRecordReporter unavailable: configure errors.tolerance/DLQ");
            }
            // The runtime waits for the returned futures before committing offsets.
            reporter.report(record, new DataException(MESSAGE));
        }
    }

    @Override public void stop() { }
}
