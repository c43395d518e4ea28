package dev.jobserver.store;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.SQLException;

/**
 * A local-transaction connection that rolls back what was not committed when it is closed and gives
 * the pool its connection back in auto-commit mode, whatever happened in between.
 */
final class RollbackOnClose {
  private final Connection target;

  RollbackOnClose(Connection target) {
    this.target = target;
  }

  Connection proxy() {
    return (Connection)
        Proxy.newProxyInstance(
            Connection.class.getClassLoader(),
            new Class<?>[] {Connection.class},
            (p, method, args) -> {
              if (method.getName().equals("close") && (args == null || args.length == 0)) {
                try {
                  if (!target.getAutoCommit()) {
                    target.rollback();
                    target.setAutoCommit(true);
                  }
                } catch (SQLException ignored) {
                  // the pool validates or discards a broken connection
                } finally {
                  target.close();
                }
                return null;
              }
              try {
                return method.invoke(target, args);
              } catch (InvocationTargetException e) {
                throw e.getCause();
              }
            });
  }
}
