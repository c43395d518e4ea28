package dev.jobserver.engine;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;

/**
 * A data source whose connections fail {@code commit} as PostgreSQL does when it aborts a
 * transaction to break a deadlock (SQLSTATE 40P01), as many times as {@code aborts} says.
 */
final class DeadlockingDataSource {

  private DeadlockingDataSource() {}

  static DataSource over(DataSource real, AtomicInteger aborts) {
    return (DataSource)
        Proxy.newProxyInstance(
            DataSource.class.getClassLoader(),
            new Class<?>[] {DataSource.class},
            (proxy, method, args) -> {
              Object out = invoke(real, method, args);
              return out instanceof Connection c ? connection(c, aborts) : out;
            });
  }

  private static Connection connection(Connection real, AtomicInteger aborts) {
    return (Connection)
        Proxy.newProxyInstance(
            Connection.class.getClassLoader(),
            new Class<?>[] {Connection.class},
            (proxy, method, args) -> {
              if (method.getName().equals("commit")
                  && aborts.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                real.rollback();
                throw new SQLException("deadlock detected", "40P01");
              }
              return invoke(real, method, args);
            });
  }

  private static Object invoke(Object target, java.lang.reflect.Method method, Object[] args)
      throws Throwable {
    try {
      return method.invoke(target, args);
    } catch (InvocationTargetException e) {
      throw e.getCause();
    }
  }
}
